"""The token vault: secrets at rest are Fernet tokens under a rotatable key ring.

Refresh tokens, private keys, client secrets and cached access tokens are stored only as
`Vault.encrypt` output. The key ring comes from `CONNECTOR_SECRET_KEYS` (comma-separated Fernet
keys, newest first): new secrets are encrypted under the newest key, every key in the ring can
decrypt, and `rotate` re-encrypts an old token under the newest key. To retire a key: put a new
key first, run `connector secrets rotate`, then drop the old key from the ring.

For local demos only, a key file `{home}/secret.key` (mode 0600) may stand in for the
environment: it is used when it already exists, and created only when the caller asks for it
(`allow_local_key=True`). A production install without `CONNECTOR_SECRET_KEYS` fails clearly.

Errors: `SecretError` for a missing or malformed key ring and for a token no key can decrypt
(naming the stored secret, never its value).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from connector.config import Settings
from connector.errors import SecretError, register_secret
from connector.localfiles import create_private_file

log = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"
_FIX = "set CONNECTOR_SECRET_KEYS; generate one with `connector secrets generate-key`"


def parse_key_ring(value: str | None, *, source: str = "CONNECTOR_SECRET_KEYS") -> list[str]:
    """Split a comma-separated key ring into keys, newest first; raise SecretError if unusable.

    Each key must be a Fernet key (32 url-safe base64 bytes); an empty entry ("a,,b", a
    trailing comma) is an error too, not skipped. Errors name the position of a bad key,
    never the key itself.
    """
    keys = [part.strip() for part in (value or "").split(",")]
    if not any(keys):
        raise SecretError(f"no secret key ring: {source} is empty; {_FIX}")
    for position, key in enumerate(keys, start=1):
        if not key:
            raise SecretError(
                f"key #{position} in {source} is empty; each entry must be a Fernet key "
                f"(32 url-safe base64-encoded bytes, 44 characters); {_FIX}"
            )
        register_secret(key)
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise SecretError(
                f"key #{position} in {source} is not a valid Fernet key "
                f"(32 url-safe base64-encoded bytes); {_FIX}"
            ) from None
    return keys


def local_key_path(settings: Settings) -> Path:
    """Where the local (demo) key file lives: `{home}/secret.key`."""
    return Path(settings.home) / KEY_FILE_NAME


def _create_local_key(path: Path) -> None:
    """Write a fresh key to `path` with mode 0600, never overwriting an existing file."""
    if create_private_file(path, Vault.generate_key() + "\n"):
        log.warning("created a local secret key file %s (for local and demo use only)", path)


class Vault:
    """Encrypts and decrypts secrets with a key ring (newest key first).

    Construct it with `Vault.from_settings(settings)`, or `Vault(keys)` with explicit keys.
    Every decrypted value is registered with `errors.register_secret`, so it is scrubbed from
    any later message, log line or exception.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        ring = parse_key_ring(",".join(keys), source="the key ring")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in ring])
        self._size = len(ring)

    def __repr__(self) -> str:
        return f"Vault(keys={self._size})"

    @property
    def key_count(self) -> int:
        """How many keys the ring holds (the first one encrypts)."""
        return self._size

    @classmethod
    def from_settings(cls, settings: Settings, *, allow_local_key: bool = False) -> Vault:
        """The vault for `settings`: `CONNECTOR_SECRET_KEYS`, else the local key file.

        The local key file `{home}/secret.key` is used if it exists; it is created (mode 0600)
        only when `allow_local_key` is true (the demo). Raises SecretError otherwise.
        """
        if settings.secret_keys and settings.secret_keys.strip():
            return cls(parse_key_ring(settings.secret_keys))
        path = local_key_path(settings)
        if not path.exists() and allow_local_key:
            _create_local_key(path)
        if path.exists():
            ring = parse_key_ring(path.read_text(encoding="ascii"), source=str(path))
            return cls(ring)
        raise SecretError(f"no secret key ring: CONNECTOR_SECRET_KEYS is not set; {_FIX}")

    @staticmethod
    def generate_key() -> str:
        """A new random Fernet key, as text for `CONNECTOR_SECRET_KEYS`."""
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, plaintext: str) -> str:
        """Encrypt `plaintext` under the newest key; the result is safe to store."""
        register_secret(plaintext)
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str, *, name: str = "a stored secret") -> str:
        """Decrypt `token` with whichever key fits; SecretError naming `name` if none does."""
        try:
            plaintext = self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise self._undecryptable(name) from None
        register_secret(plaintext)
        return plaintext

    def rotate(self, token: str, *, name: str = "a stored secret") -> str:
        """Re-encrypt `token` under the newest key (any key of the ring may have made it)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise self._undecryptable(name) from None

    def _undecryptable(self, name: str) -> SecretError:
        return SecretError(
            f"cannot decrypt {name}: no key in the key ring fits it. Add the key it was "
            "encrypted with to CONNECTOR_SECRET_KEYS (after the newest key), or reconnect "
            "the customer to store a fresh secret"
        )
