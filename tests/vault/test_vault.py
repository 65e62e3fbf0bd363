"""The token vault: round trips, key rotation, and clear failures without the right keys."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from connector.config import Settings
from connector.errors import SecretError, scrub
from connector.vault import Vault, local_key_path, parse_key_ring


def _settings(tmp_path: Path, keys: str | None = None) -> Settings:
    return Settings(home=tmp_path / "home", secret_keys=keys)


def test_given_a_key_when_encrypting_then_decrypt_returns_the_plaintext_and_hides_it() -> None:
    vault = Vault([Vault.generate_key()])
    token = vault.encrypt("5Aep861-refresh-token-value")
    assert "5Aep861" not in token
    assert vault.decrypt(token) == "5Aep861-refresh-token-value"


def test_decrypted_values_are_scrubbed_from_messages() -> None:
    vault = Vault([Vault.generate_key()])
    secret = "00Dxx0000001gPL!AQ4AQFinalSecretValue"
    assert vault.decrypt(vault.encrypt(secret)) == secret
    assert scrub(f"token was {secret}") == "token was ***"


def test_given_a_new_key_first_when_decrypting_an_old_token_then_the_old_key_still_works() -> None:
    old, new = Vault.generate_key(), Vault.generate_key()
    token = Vault([old]).encrypt("refresh-token-1234")
    ring = Vault([new, old])
    assert ring.decrypt(token) == "refresh-token-1234"


def test_rotate_moves_a_token_to_the_newest_key() -> None:
    old, new = Vault.generate_key(), Vault.generate_key()
    token = Vault([old]).encrypt("refresh-token-1234")
    rotated = Vault([new, old]).rotate(token)
    assert rotated != token
    assert Vault([new]).decrypt(rotated) == "refresh-token-1234"


def test_given_a_ring_without_the_old_key_when_decrypting_then_secret_error_names_the_secret() -> (
    None
):
    token = Vault([Vault.generate_key()]).encrypt("refresh-token-1234")
    with pytest.raises(SecretError) as caught:
        Vault([Vault.generate_key()]).decrypt(token, name="the refresh token of customer 'acme'")
    message = str(caught.value)
    assert "the refresh token of customer 'acme'" in message
    assert "CONNECTOR_SECRET_KEYS" in message
    assert "refresh-token-1234" not in message


def test_rotate_with_a_ring_without_the_old_key_fails_clearly() -> None:
    token = Vault([Vault.generate_key()]).encrypt("refresh-token-1234")
    with pytest.raises(SecretError, match="cannot decrypt the private key"):
        Vault([Vault.generate_key()]).rotate(token, name="the private key")


def test_given_no_key_ring_when_loading_the_vault_then_secret_error_says_how_to_fix(
    tmp_path: Path,
) -> None:
    with pytest.raises(SecretError) as caught:
        Vault.from_settings(_settings(tmp_path))
    assert "set CONNECTOR_SECRET_KEYS" in str(caught.value)
    assert "connector secrets generate-key" in str(caught.value)
    assert not local_key_path(_settings(tmp_path)).exists()


def test_an_invalid_key_is_refused_by_position_without_echoing_it(tmp_path: Path) -> None:
    good = Vault.generate_key()
    with pytest.raises(SecretError) as caught:
        Vault.from_settings(_settings(tmp_path, f"{good},not-a-real-fernet-key"))
    assert "key #2" in str(caught.value)
    assert "not-a-real-fernet-key" not in str(caught.value)


def test_the_ring_reads_from_settings_newest_first(tmp_path: Path) -> None:
    old, new = Vault.generate_key(), Vault.generate_key()
    token = Vault([old]).encrypt("s3cret-value")
    vault = Vault.from_settings(_settings(tmp_path, f" {new} , {old} "))
    assert vault.key_count == 2
    assert Vault([new]).decrypt(vault.encrypt("x" * 10)) == "x" * 10
    assert vault.decrypt(token) == "s3cret-value"


def test_parse_key_ring_refuses_an_empty_ring() -> None:
    with pytest.raises(SecretError, match="empty"):
        parse_key_ring(" , ")


def test_a_local_key_file_is_created_0600_only_when_asked(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    vault = Vault.from_settings(settings, allow_local_key=True)
    path = local_key_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = vault.encrypt("demo-secret-value")
    again = Vault.from_settings(settings)  # an existing key file is used without asking
    assert again.decrypt(token) == "demo-secret-value"


def test_the_environment_ring_wins_over_a_local_key_file(tmp_path: Path) -> None:
    Vault.from_settings(_settings(tmp_path), allow_local_key=True)
    env_key = Vault.generate_key()
    vault = Vault.from_settings(_settings(tmp_path, env_key))
    assert Vault([env_key]).decrypt(vault.encrypt("from-the-env-ring")) == "from-the-env-ring"


def test_the_vault_repr_shows_no_key() -> None:
    key = Vault.generate_key()
    assert key not in repr(Vault([key]))


@pytest.mark.parametrize("ring", ["{k},", ",{k}", "{k},,{k}", "{k}, "])
def test_parse_key_ring_refuses_an_empty_entry_naming_its_position_and_the_minimum(
    ring: str,
) -> None:
    key = Vault.generate_key()
    with pytest.raises(SecretError) as caught:
        parse_key_ring(ring.format(k=key))
    message = str(caught.value)
    assert "is empty" in message and "CONNECTOR_SECRET_KEYS" in message
    assert "32 url-safe base64-encoded bytes" in message and key not in message
