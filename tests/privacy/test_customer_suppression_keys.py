"""A customer's suppression keys: its own lookup key (from its data key) hashes, and the
installation-wide keys of earlier entries still match after it, each source named.

A data key needs a key ring; with the demo's local ring file (`{home}/secret.key`) and no
suppression key configured, the customer's own key is the only one.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from sqlalchemy.engine import Engine

from connector.config import get_settings
from connector.privacy.keys import customer_cipher
from connector.privacy.subjects import Subject
from connector.privacy.suppression import SuppressionList, customer_suppression_keys
from connector.store import TenantStore
from connector.vault import Vault

ADA = Subject("email", "ada@example.com")


@pytest.fixture
def local_ring_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's set-up: the key ring in the local key file, no suppression key anywhere."""
    monkeypatch.delenv("CONNECTOR_SECRET_KEYS", raising=False)
    monkeypatch.delenv("CONNECTOR_SUPPRESSION_KEY", raising=False)
    get_settings.cache_clear()
    Vault.from_settings(get_settings(), allow_local_key=True)


def own_hash(store: TenantStore, subject: Subject) -> str:
    own = customer_cipher(store).lookup_key
    message = f"{subject.kind}:{subject.value}".encode()
    return hmac.new(own, message, hashlib.sha256).hexdigest()


def test_given_no_installation_key_then_the_customer_key_alone_hashes_and_matches(
    sqlite_engine: Engine, local_ring_only: None
) -> None:
    store = TenantStore(sqlite_engine, "acme")
    keys = customer_suppression_keys(store)
    assert keys.sources == ("customer data key",)
    assert len(keys.keys) == 1
    assert keys.hash(ADA) == own_hash(store, ADA)
    listed = SuppressionList(frozenset({keys.hash(ADA)}), keys)
    assert listed("003000000000001AAA", {"email": "ada@example.com"})


def test_given_an_installation_key_then_it_matches_after_the_customer_key(
    sqlite_engine: Engine, local_ring_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", "earlier-installation-key-0123456789")
    get_settings.cache_clear()
    store = TenantStore(sqlite_engine, "acme")
    keys = customer_suppression_keys(store)
    assert keys.sources == ("customer data key", "CONNECTOR_SUPPRESSION_KEY")
    assert keys.hash(ADA) == own_hash(store, ADA)
    earlier = hmac.new(
        b"earlier-installation-key-0123456789", b"email:ada@example.com", hashlib.sha256
    ).hexdigest()
    assert keys.hashes(ADA) == {own_hash(store, ADA), earlier}
