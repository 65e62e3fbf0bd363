"""The suppression list's keys and hashes as documented: HMAC-SHA256 of "<kind>:<value>",
keys from CONNECTOR_SUPPRESSION_KEY (newest first), the local key file, then the secret ring.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest

from connector.config import get_settings
from connector.errors import ConfigError
from connector.privacy.subjects import Subject
from connector.privacy.suppression import (
    SuppressionKeys,
    SuppressionList,
    load_suppression_keys,
    local_key_path,
    suppression_check,
)

ADA = Subject("email", "ada@example.com")


@pytest.fixture(autouse=True)
def no_key_ring(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the installation-wide sources: no ring unless a test sets one."""
    monkeypatch.delenv("CONNECTOR_SECRET_KEYS", raising=False)
    get_settings.cache_clear()


def hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def test_given_keys_then_the_first_hashes_and_every_one_matches() -> None:
    keys = SuppressionKeys((b"new", b"old"))
    assert keys.hash(ADA) == hmac_hex(b"new", "email:ada@example.com")
    assert keys.hashes(ADA) == {
        hmac_hex(b"new", "email:ada@example.com"),
        hmac_hex(b"old", "email:ada@example.com"),
    }
    assert repr(keys) == "SuppressionKeys(keys=2, sources=())"


def test_given_the_suppression_key_setting_then_its_keys_come_first_newest_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", " k-new , ,k-old ")
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", "ring-1")
    get_settings.cache_clear()
    keys = load_suppression_keys()
    derived = hmac.new(b"ring-1", b"connector/suppression-key/v1", hashlib.sha256).digest()
    assert keys.keys == (b"k-new", b"k-old", derived)
    assert keys.sources == ("CONNECTOR_SUPPRESSION_KEY", "CONNECTOR_SECRET_KEYS")


def test_given_a_local_key_file_then_its_keys_follow_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = local_key_path(get_settings())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("file-key\n", encoding="ascii")
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", "env-key")
    get_settings.cache_clear()
    keys = load_suppression_keys()
    assert keys.keys == (b"env-key", b"file-key")
    assert keys.sources == ("CONNECTOR_SUPPRESSION_KEY", str(path))


def test_given_no_key_anywhere_then_loading_is_refused_with_the_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        load_suppression_keys()
    assert str(caught.value).startswith("no key for the suppression list of forgotten people; ")
    assert "CONNECTOR_SUPPRESSION_KEY" in str(caught.value)
    assert not local_key_path(get_settings()).exists()


def test_given_nothing_configured_and_creation_allowed_then_a_local_key_file_is_made() -> None:
    keys = load_suppression_keys(create_local=True)
    path = local_key_path(get_settings())
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert keys.keys == (path.read_text(encoding="ascii").strip().encode(),)
    assert len(keys.keys[0]) >= 32


def test_given_a_ring_key_then_no_local_file_is_created(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", "ring-1")
    get_settings.cache_clear()
    keys = load_suppression_keys(create_local=True)
    assert keys.sources == ("CONNECTOR_SECRET_KEYS",)
    assert not local_key_path(get_settings()).exists()


class Hashes:
    customer_id = "acme"

    def __init__(self, hashes: set[str]) -> None:
        self._hashes = hashes

    def suppression_hashes(self) -> set[str]:
        return self._hashes


def test_given_an_empty_list_then_no_key_is_needed_and_nothing_matches() -> None:
    check = suppression_check(Hashes(set()))
    assert check("003000000000001AAA", {"email": "ada@example.com"}) is False


def test_given_a_list_without_keys_then_the_check_is_refused() -> None:
    with pytest.raises(ConfigError):
        suppression_check(Hashes({"ab" * 32}))


def test_given_a_listed_email_then_rows_with_it_match_and_others_do_not() -> None:
    keys = SuppressionKeys((b"k",))
    check = suppression_check(Hashes({keys.hash(ADA)}), keys)
    assert check("003000000000001AAA", {"email": "ada@example.com"}) is True
    assert check("003000000000001AAA", {"email": "bob@example.com"}) is False
    assert SuppressionList(frozenset({keys.hash(ADA)}), None).matches(ADA) is False
    assert SuppressionList(frozenset(), keys).matches(ADA) is False
    assert SuppressionList(frozenset({keys.hash(ADA)}), keys).matches(ADA) is True
