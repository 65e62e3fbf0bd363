"""The suppression list as documented: a created key file holds one 256-bit key on one line and
says so in a warning, loaded keys never reach a message, and a list refreshed mid-sync keeps
its keys or loads them (refusing when there are none).
"""

from __future__ import annotations

import base64
import logging
import secrets

import pytest

from connector.config import get_settings
from connector.errors import ConfigError, scrub
from connector.privacy.subjects import Subject
from connector.privacy.suppression import (
    SuppressionKeys,
    SuppressionList,
    load_suppression_keys,
    local_key_path,
)

ADA = Subject("email", "ada@example.com")
BOB = Subject("email", "bob@example.com")
LOGGER = "connector.privacy.suppression"


@pytest.fixture(autouse=True)
def key_ring(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key ring: these are the rules of the suppression key's own sources (setting, file),
    which stand when no per-customer data key is there (entries made before those keys)."""
    monkeypatch.delenv("CONNECTOR_SECRET_KEYS", raising=False)
    get_settings.cache_clear()


def test_given_a_created_key_file_then_it_holds_one_line_of_32_random_bytes() -> None:
    keys = load_suppression_keys(create_local=True)
    text = local_key_path(get_settings()).read_text(encoding="ascii")
    [key] = keys.keys
    assert text == key.decode("ascii") + "\n"
    assert len(base64.urlsafe_b64decode(key + b"=")) == 32


def test_given_a_created_key_file_then_a_warning_names_it_and_asks_for_a_backup(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        load_suppression_keys(create_local=True)
    path = local_key_path(get_settings())
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert messages == [f"created the suppression key file {path}; back it up with the store"]


def test_given_an_existing_key_file_then_no_warning_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        load_suppression_keys(create_local=True)
        caplog.clear()
        load_suppression_keys(create_local=True)
    assert not [r for r in caplog.records if r.name == LOGGER]


def test_given_keys_from_the_setting_and_the_file_then_messages_never_show_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configured, in_file = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    path = local_key_path(get_settings())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(in_file + "\n", encoding="ascii")
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", configured)
    get_settings.cache_clear()
    load_suppression_keys()
    assert scrub(f"setting {configured}, file {in_file}") == "setting ***, file ***"


def test_given_a_list_with_keys_when_new_hashes_arrive_then_it_keeps_its_keys() -> None:
    keys = SuppressionKeys((secrets.token_bytes(32),))  # nothing configured in the environment
    before = SuppressionList(frozenset({keys.hash(ADA)}), keys)
    after = before.as_of(frozenset({keys.hash(ADA), keys.hash(BOB)}))
    assert after.keys is keys
    assert (before.matches(BOB), after.matches(BOB), after.matches(ADA)) == (False, True, True)


def test_given_the_same_hashes_then_the_list_is_unchanged() -> None:
    keys = SuppressionKeys((secrets.token_bytes(32),))
    listed = SuppressionList(frozenset({keys.hash(ADA)}), keys)
    assert listed.as_of(frozenset({keys.hash(ADA)})) is listed


def test_given_an_empty_list_when_a_hash_arrives_then_the_configured_keys_are_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = secrets.token_urlsafe(24)
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", key)
    get_settings.cache_clear()
    listed = SuppressionKeys((key.encode(),)).hash(ADA)
    refreshed = SuppressionList(frozenset(), None).as_of(frozenset({listed}))
    assert refreshed.keys is not None and refreshed.keys.keys == (key.encode(),)
    assert refreshed("003000000000001AAA", {"email": "ada@example.com"}) is True


def test_given_an_empty_list_when_a_hash_arrives_and_no_key_exists_then_it_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^no key for the suppression list"):
        SuppressionList(frozenset(), None).as_of(frozenset({"ab" * 32}))


def test_given_an_empty_list_staying_empty_then_no_key_is_needed() -> None:
    emptied = SuppressionList(frozenset({"ab" * 32}), None).as_of(frozenset())
    assert (emptied.hashes, emptied.keys) == (frozenset(), None)
