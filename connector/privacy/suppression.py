"""The suppression list: forgotten subjects as keyed hashes, and the check every pull applies.

A forgotten subject is stored only as HMAC-SHA256(key, "<kind>:<normalized identifier>"), so
the list holds no personal data and cannot be reversed or tested against without the key
(a plain hash of an email address could be, by hashing guesses).

The key. New entries are hashed with the customer's own lookup key, derived from its data key
(`privacy.keys`): once an erasure destroys that key, the customer's hashes can no longer be
tested against anything. Key-ring rotation re-wraps the data key without changing it, so the
hashes keep matching. Entries hashed by earlier versions with an installation-wide key still
match while that key is configured; those keys are taken from, in this order (every one is
tried when matching):

1. `CONNECTOR_SUPPRESSION_KEY`: comma-separated, newest first. Recommended for production;
   generate one with `python -c "import secrets; print(secrets.token_urlsafe(32))"` and never
   drop a key while hashes made with it must match.
2. `{home}/suppression.key` (mode 0600), if it exists: single-machine installs. `forget`
   creates it when nothing else is configured and the store is SQLite (a file store on the
   same machine); with PostgreSQL several machines share the list, so a local file would
   split it and a missing key is an error instead.
3. Keys derived from each key of `CONNECTOR_SECRET_KEYS`. Works without extra configuration,
   but a ring key dropped after rotation takes its hashes' matching power with it: set
   `CONNECTOR_SUPPRESSION_KEY` before retiring a ring key.

Without a store (`load_suppression_keys` alone), no key at all is a `ConfigError` once the
list is non-empty (a sync then stops rather than let forgotten people back in).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from connector.config import Settings, get_settings
from connector.errors import ConfigError, register_secret
from connector.localfiles import create_private_file
from connector.privacy.settings import PrivacySettings
from connector.privacy.subjects import Subject, row_subjects

if TYPE_CHECKING:
    from connector.store.tenant import TenantStore

log = logging.getLogger(__name__)

KEY_FILE_NAME = "suppression.key"
_DERIVATION_LABEL = b"connector/suppression-key/v1"
_FIX = (
    'set CONNECTOR_SUPPRESSION_KEY (e.g. `python -c "import secrets; '
    'print(secrets.token_urlsafe(32))"`) or CONNECTOR_SECRET_KEYS'
)


class HashSource(Protocol):
    """What the check needs from a store (a `TenantStore` is one)."""

    customer_id: str

    def suppression_hashes(self) -> set[str]: ...


@dataclass(frozen=True)
class SuppressionKeys:
    """The HMAC keys of the suppression list: the first hashes, all of them match."""

    keys: tuple[bytes, ...]
    sources: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        return f"SuppressionKeys(keys={len(self.keys)}, sources={self.sources!r})"

    def hash(self, subject: Subject) -> str:
        """The hash stored for `subject` (made with the first key)."""
        return _digest(self.keys[0], subject)

    def hashes(self, subject: Subject) -> set[str]:
        """Every hash `subject` may have been stored under."""
        return {_digest(key, subject) for key in self.keys}


def _digest(key: bytes, subject: Subject) -> str:
    message = f"{subject.kind}:{subject.value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def local_key_path(settings: Settings) -> Path:
    """Where a single-machine install keeps its suppression key."""
    return Path(settings.home) / KEY_FILE_NAME


def _create_local_key(path: Path) -> None:
    if create_private_file(path, secrets.token_urlsafe(32) + "\n"):
        log.warning("created the suppression key file %s; back it up with the store", path)


def load_suppression_keys(
    settings: Settings | None = None,
    privacy: PrivacySettings | None = None,
    *,
    create_local: bool = False,
) -> SuppressionKeys:
    """The suppression keys from the environment (see the module docstring for the order).

    `create_local` allows creating `{home}/suppression.key` when nothing is configured.
    Raises ConfigError when there is no key.
    """
    settings = settings or get_settings()
    privacy = privacy or PrivacySettings()
    keys: list[bytes] = []
    sources: list[str] = []
    configured = privacy.suppression_key.get_secret_value() if privacy.suppression_key else None
    for value in _split(configured):
        register_secret(value)
        keys.append(value.encode("utf-8"))
        sources.append("CONNECTOR_SUPPRESSION_KEY")
    path = local_key_path(settings)
    if not keys and not path.exists() and not _split(settings.secret_keys) and create_local:
        _create_local_key(path)
    if path.exists():
        for value in _split(path.read_text(encoding="ascii")):
            register_secret(value)
            keys.append(value.encode("utf-8"))
        sources.append(str(path))
    for ring_key in _split(settings.secret_keys):
        derived = hmac.new(ring_key.encode("utf-8"), _DERIVATION_LABEL, hashlib.sha256)
        keys.append(derived.digest())
        sources.append("CONNECTOR_SECRET_KEYS")
    if not keys:
        raise ConfigError(f"no key for the suppression list of forgotten people; {_FIX}")
    return SuppressionKeys(tuple(keys), tuple(dict.fromkeys(sources)))


def customer_suppression_keys(store: TenantStore) -> SuppressionKeys:
    """The customer's suppression keys: its own lookup key first (it hashes new entries),
    then any installation-wide key of earlier versions (their entries still match).

    Creates the customer's data key on first use. Raises SecretError when the key ring is
    missing or does not fit the stored data key.
    """
    from connector.privacy.keys import customer_cipher

    own = customer_cipher(store, create=True).lookup_key
    try:
        earlier = load_suppression_keys()
    except ConfigError:
        return SuppressionKeys((own,), ("customer data key",))
    return SuppressionKeys((own, *earlier.keys), ("customer data key", *earlier.sources))


@dataclass(frozen=True)
class SuppressionList:
    """A customer's suppression hashes with the keys to match rows against them.

    Call it as a `SuppressionCheck`: (crm id, mapped store fields) -> True to skip the row.
    """

    hashes: frozenset[str]
    keys: SuppressionKeys | None
    #: loads the keys when the list stops being empty (None: the installation-wide keys)
    load_keys: Callable[[], SuppressionKeys] | None = None

    def matches(self, subject: Subject) -> bool:
        """Whether `subject` is on the list."""
        if not self.hashes or self.keys is None:
            return False
        return not self.hashes.isdisjoint(self.keys.hashes(subject))

    def __call__(self, crm_id: str, fields: Mapping[str, Any]) -> bool:
        if not self.hashes:
            return False
        return any(self.matches(subject) for subject in row_subjects(crm_id, fields))

    def as_of(self, hashes: frozenset[str]) -> SuppressionList:
        """The list `hashes` (stored since this one was loaded), with keys to match them.

        `self` when the hashes are the same. Raises ConfigError when the list is not empty
        and no key is configured.
        """
        if hashes == self.hashes:
            return self
        keys = self.keys
        if keys is None and hashes:
            keys = (self.load_keys or load_suppression_keys)()
        return SuppressionList(hashes, keys, self.load_keys)


def suppression_check(store: HashSource, keys: SuppressionKeys | None = None) -> SuppressionList:
    """The customer's suppression check for `pull`: loads the hashes once, matches fast.

    It matches a row's CRM id, normalized email and E.164 phones, hashed with the customer's
    keys (`customer_suppression_keys`) for a `TenantStore`, else with the installation-wide
    ones. Raises ConfigError when the list is not empty and there is no key (syncing then
    would resurrect forgotten people), SecretError when the key ring does not fit.
    """
    hashes = frozenset(store.suppression_hashes())
    load_keys: Callable[[], SuppressionKeys] | None = None
    if hasattr(store, "wrapped_data_key"):
        tenant: Any = store
        load_keys = lambda: customer_suppression_keys(tenant)  # noqa: E731
    if hashes and keys is None:
        keys = (load_keys or load_suppression_keys)()
    return SuppressionList(hashes, keys, load_keys)
