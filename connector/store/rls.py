"""PostgreSQL row-level security: a second wall between customers that SQL cannot step over.

Every tenant table (and `erasures`) has `FORCE ROW LEVEL SECURITY` and a policy admitting only
rows whose `customer_id` equals `connector_current_tenant()` (migration 0002 installs them).
That function, `SECURITY DEFINER` and owned by the schema owner, returns the customer named
by the transaction-local setting `connector.customer_id` only when the setting
`connector.tenant_tag` holds an HMAC-SHA256 of

    <customer id>:<backend pid>:<transaction start, microseconds since the epoch>

made with the tenant key. The database keeps the key in `connector_tenant_key`, a table only
the owner may read; the application holds it in `CONNECTOR_TENANT_KEY`. So only the
application can bind a transaction to a customer: SQL running inside a tenant transaction can
read its own tag, but a tag for another customer, or for a later transaction, needs the key,
and a forged or copied setting makes the function return NULL, which matches no row.

The application's login role owns nothing: it cannot `SET ROLE` to the owner, alter or drop a
policy, or read the key. Cross-customer reads the application needs (the scheduler's plan, the
customer lists, pending erasures) go through narrow `SECURITY DEFINER` functions that return
ids, schedule fields and erasure records only; an erasure binds the transaction to the
customer it erases, like any tenant transaction.

Pure helpers (key derivation, the tag) are apart from the two I/O functions at the bottom.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, Row

from connector.errors import ConfigError, StoreError

CUSTOMER_SETTING = "connector.customer_id"
TAG_SETTING = "connector.tenant_tag"
KEY_TABLE = "connector_tenant_key"
#: Shortest `CONNECTOR_TENANT_KEY` accepted (`connector secrets generate-key` makes 44).
MIN_TENANT_KEY_LENGTH = 32
_BLOCK = 64  # SHA-256 block size, the HMAC pad length

#: The transaction's backend and start time, as `connector_current_tenant()` reads them.
TRANSACTION_IDENTITY = (
    "SELECT pg_backend_pid(), (extract(epoch FROM transaction_timestamp()) * 1000000)::bigint"
)

_keys: WeakKeyDictionary[Engine, bytes] = WeakKeyDictionary()


def check_tenant_key(value: str | None) -> str:
    """Return `value` if it is usable as CONNECTOR_TENANT_KEY, else raise ConfigError."""
    if not value or len(value.strip()) < MIN_TENANT_KEY_LENGTH:
        raise ConfigError(
            "CONNECTOR_TENANT_KEY must be set to at least "
            f"{MIN_TENANT_KEY_LENGTH} characters on PostgreSQL "
            "(make one with `connector secrets generate-key`)"
        )
    return value.strip()


def derive_key(tenant_key: str) -> bytes:
    """The 32-byte HMAC key derived from the configured tenant key."""
    return hashlib.sha256(b"connector tenant binding\x00" + tenant_key.encode()).digest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer HMAC-SHA256 pads of `key`: the database stores these, so its
    function is `sha256(opad || sha256(ipad || message))` in core SQL."""
    padded = key.ljust(_BLOCK, b"\x00")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


def binding_tag(key: bytes, customer_id: str, pid: int, started_us: int) -> str:
    """The tag binding `customer_id` to one transaction (backend `pid`, start `started_us`)."""
    message = f"{customer_id}:{pid}:{started_us}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def set_tenant_key(engine: Engine, tenant_key: str) -> None:
    """Let tenant transactions on `engine` bind themselves with `tenant_key`."""
    _keys[engine] = derive_key(check_tenant_key(tenant_key))


def enter_tenant(conn: Connection, customer_id: str) -> None:
    """Bind the current transaction to `customer_id` (two round trips).

    Raises ConfigError when no tenant key was configured for the engine: without it no row
    would be visible, so refusing is clearer than an empty answer.
    """
    key = _keys.get(conn.engine)
    if key is None:
        raise ConfigError(
            "no tenant key for this PostgreSQL store: set CONNECTOR_TENANT_KEY "
            "(the same value `connector db upgrade` stored)"
        )
    pid, started_us = conn.execute(text(TRANSACTION_IDENTITY)).one()
    conn.execute(
        text("SELECT set_config(:cs, :customer, true), set_config(:ts, :tag, true)"),
        {
            "cs": CUSTOMER_SETTING,
            "customer": customer_id,
            "ts": TAG_SETTING,
            "tag": binding_tag(key, customer_id, int(pid), int(started_us)),
        },
    )


def save_tenant_key(conn: Connection, tenant_key: str) -> None:
    """Store the key's HMAC pads in the owner-only key table (run as the owner)."""
    inner, outer = hmac_pads(derive_key(check_tenant_key(tenant_key)))
    conn.execute(
        text(
            f"INSERT INTO {KEY_TABLE} (id, ipad, opad) VALUES (1, :inner, :outer) "  # noqa: S608
            "ON CONFLICT (id) DO UPDATE SET ipad = excluded.ipad, opad = excluded.opad"
        ),
        {"inner": inner, "outer": outer},
    )


def check_application_role(conn: Connection) -> None:
    """Refuse an application login that could step over row-level security.

    A superuser or a BYPASSRLS role ignores the policies; the owner of the tables (or a
    member of its role) could turn them off. Raises ConfigError naming the role.
    """
    row = conn.execute(
        text(
            "SELECT r.rolname, r.rolsuper, r.rolbypassrls, "
            "pg_has_role(current_user, t.tableowner, 'MEMBER') "
            "FROM pg_roles r LEFT JOIN pg_tables t "
            "ON t.schemaname = current_schema() AND t.tablename = 'prospects' "
            "WHERE r.rolname = current_user"
        )
    ).one()
    name, superuser, bypass, owner = row
    why = (
        "is a superuser"
        if superuser
        else "bypasses row-level security"
        if bypass
        else "owns the store's tables"
        if owner
        else None
    )
    if why:
        raise ConfigError(
            f"CONNECTOR_DATABASE_URL connects as {name!r}, which {why}: row-level security "
            "could not keep customers apart. Connect as a login role that owns nothing and "
            "run migrations with CONNECTOR_MIGRATION_DATABASE_URL (see the README)"
        )


def check_binding(conn: Connection) -> None:
    """Bind a probe transaction and confirm the database accepts the binding.

    Raises ConfigError when CONNECTOR_TENANT_KEY differs from the key the store holds.
    """
    probe = "connector-key-check"
    enter_tenant(conn, probe)
    bound = conn.execute(text("SELECT connector_current_tenant()")).scalar_one_or_none()
    if bound != probe:
        raise ConfigError(
            "CONNECTOR_TENANT_KEY is not the key the store holds: run `connector db upgrade` "
            "with the same CONNECTOR_TENANT_KEY as the application"
        )


def admin_rows(conn: Connection, function: str, **params: Any) -> list[Row[Any]]:
    """The rows of one of the store's cross-customer SECURITY DEFINER functions, called with
    `params` as named arguments."""
    if function not in ADMIN_FUNCTIONS:
        raise StoreError(f"unknown store function {function!r}")
    arguments = ", ".join(f"{name} => :{name}" for name in params)
    return list(conn.execute(text(f"SELECT * FROM {function}({arguments})"), params))  # noqa: S608


#: The only cross-customer reads the application role may make (migrations 0002, 0010, 0013),
#: and its only way to the access tokens (0014: it has no privilege on that table).
ADMIN_FUNCTIONS = (
    "connector_customer_ids",
    "connector_connected_customer_ids",
    "connector_scheduled_customers",
    "connector_erasures",
    "connector_connect_link_customer",
    "connector_ops_customers",
    "connector_ops_runs",
    "connector_ops_run_counts",
    "connector_tokens",
    "connector_token_issue",
    "connector_token_revoke",
    "connector_token_erase",
)
