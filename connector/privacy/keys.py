"""Per-customer data keys: created on first use, wrapped by the key ring, destroyed by erase.

A customer's personal fields are encrypted with its own random 256-bit data key
(`field_crypto`). The key is stored only wrapped by the key ring (`vault.Vault`, the same
ring that protects CRM tokens), so `connector secrets rotate` re-wraps it like any other
secret. Erasing the customer deletes the wrapped key first: from then on nothing of the
customer decrypts, wherever a copy of its rows survives (WAL, free pages, backups).

Unwrapped keys are cached per process by their wrapped form; each `customer_cipher` still
reads the wrapped key from the store, so a key destroyed by another process is not used
again here. The key ring comes from `CONNECTOR_SECRET_KEYS`; on SQLite (one machine) the
local key file `{home}/secret.key` is created when none is configured, as for the demo.

Errors: `SecretError` when the key ring is missing or cannot unwrap the stored key.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from connector.config import get_settings
from connector.privacy.field_crypto import FieldCipher, NoKeyCipher, is_sealed, new_data_key
from connector.store.models import PROSPECT_FIELDS, Activity, Prospect
from connector.store.tenant import TenantStore
from connector.vault import Vault

#: The free-text activity columns that may quote a person, stored encrypted.
ACTIVITY_TEXT: tuple[str, ...] = ("subject",)

#: Mapped row -> stored columns, for one prospect (crm id, fields): how the pull seals a row
#: (`row_hash` among them when the sealer knows the row's change hash).
RowSealer = Callable[[str, Mapping[str, str | None]], Mapping[str, str | None]]

_MAX_CACHED = 1024
_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()


def key_ring_for(store: TenantStore) -> Vault:
    """The key ring that wraps data keys (a local key file may stand in on SQLite only)."""
    local = store.engine.dialect.name == "sqlite"
    return Vault.from_settings(get_settings(), allow_local_key=local)


def customer_cipher(
    store: TenantStore, *, create: bool = False, vault: Vault | None = None
) -> FieldCipher:
    """The customer's field cipher.

    Without a stored key: a new one is made and stored when `create` (writers), else a
    `NoKeyCipher` that reads legacy plaintext only (readers). Raises SecretError when the key
    ring is missing or does not fit the stored key.
    """
    wrapped = store.wrapped_data_key()
    if wrapped is None:
        if not create:
            return NoKeyCipher(store.customer_id)
        vault = vault or key_ring_for(store)
        key = new_data_key()
        wrapped = store.add_wrapped_data_key(vault.encrypt(_text(key)))
    return FieldCipher(store.customer_id, _unwrap(store, wrapped, vault))


def _unwrap(store: TenantStore, wrapped: str, vault: Vault | None) -> bytes:
    with _cache_lock:
        key = _cache.get(wrapped)
        if key is not None:
            _cache.move_to_end(wrapped)
            return key
    vault = vault or key_ring_for(store)
    name = f"the data key of customer {store.customer_id!r}"
    key = base64.urlsafe_b64decode(vault.decrypt(wrapped, name=name).encode("ascii"))
    with _cache_lock:
        _cache[wrapped] = key
        while len(_cache) > _MAX_CACHED:
            _cache.popitem(last=False)
    return key


def _text(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def open_prospect_rows(
    cipher: FieldCipher, rows: Iterable[Mapping[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Prospect rows (dicts with `crm_id`, `sealed` and any of the prospect fields) with their
    fields decrypted; the one way prospects are read (`prospect_fields` for model objects)."""
    for row in rows:
        yield cipher.open_row(row, PROSPECT_FIELDS)


def prospect_fields(cipher: FieldCipher, prospect: Prospect) -> dict[str, str | None]:
    """The decrypted fields of a stored prospect (sealed in one value, or one per column)."""
    row = {name: getattr(prospect, name) for name in PROSPECT_FIELDS}
    row.update(crm_id=prospect.crm_id, sealed=prospect.sealed)
    opened = cipher.open_row(row, PROSPECT_FIELDS)
    return {name: opened.get(name) for name in PROSPECT_FIELDS}


def decrypt_prospects(store: TenantStore, prospects: Iterable[Prospect]) -> list[Prospect]:
    """`prospects` (read from `store`, detached) with their fields decrypted in place."""
    cipher = customer_cipher(store)
    opened = []
    for prospect in prospects:
        for name, value in prospect_fields(cipher, prospect).items():
            setattr(prospect, name, value)
        prospect.sealed = None
        opened.append(prospect)
    return opened


def seal_activity(cipher: FieldCipher, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An activity's store values with its free text encrypted (stable while unchanged, so
    recording the same content again is still recognised as unchanged)."""
    sealed = dict(fields)
    row_id = str(fields["activity_id"])
    for name in ACTIVITY_TEXT:
        sealed[name] = cipher.seal_cell(name, row_id, fields.get(name))
    return sealed


def decrypt_activities(store: TenantStore, activities: Iterable[Activity]) -> list[Activity]:
    """`activities` (read from `store`, detached) with their free text decrypted in place."""
    cipher = customer_cipher(store)
    opened = []
    for activity in activities:
        for name in ACTIVITY_TEXT:
            setattr(activity, name, cipher.open(name, getattr(activity, name)))
        opened.append(activity)
    return opened


def open_activity_rows(
    cipher: FieldCipher, rows: Iterable[Mapping[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Activity rows (dicts) with their free text decrypted."""
    for row in rows:
        yield cipher.open_row(row, ACTIVITY_TEXT)


def resealing(cipher: FieldCipher, redact: Callable[[str], str]) -> Callable[[str], str]:
    """`redact` for stored free text: an encrypted value is opened, redacted and sealed again
    (with a fresh nonce, only when it changed); plaintext is redacted as it is."""

    def apply(value: str) -> str:
        if not is_sealed(value):
            return redact(value)
        plain = cipher.open("subject", value) or ""
        new = redact(plain)
        return value if new == plain else cipher.seal("subject", new) or ""

    return apply


def pull_keys(store: TenantStore) -> tuple[RowSealer, bytes]:
    """How the pull stores a mapped row, and the key of its change-detection hash, from one
    look-up of the customer's data key (made when it has none).

    A row's fields are sealed in one value with the customer's key (the per-field columns
    left empty), with its change hash (`field_crypto`); the hash key is derived from the
    data key too."""
    cipher = customer_cipher(store, create=True)
    seal = cipher.seal_record

    def stored(crm_id: str, fields: Mapping[str, str | None]) -> dict[str, str | None]:
        sealed, digest = seal(crm_id, fields)
        return {"sealed": sealed, "row_hash": digest}

    return stored, cipher.change_hash_key


def destroy_data_key(store: TenantStore) -> bool:
    """Delete the customer's data key (and forget it in this process); True if it existed."""
    wrapped = store.wrapped_data_key()
    if wrapped is not None:
        with _cache_lock:
            _cache.pop(wrapped, None)
    return store.destroy_data_key()


def rewrap_data_key(store: TenantStore, vault: Vault) -> bool:
    """Re-wrap the customer's data key under the ring's newest key; False if it has none.

    The data key itself stays the same, so every stored value and hash still reads.
    """
    wrapped = store.wrapped_data_key()
    if wrapped is None:
        return False
    name = f"the data key of customer {store.customer_id!r}"
    return store.replace_wrapped_data_key(wrapped, vault.rotate(wrapped, name=name))
