"""`TokenStore`: scoped, expiring API credentials, kept only as hashes.

A token is `cnt_<id>_<secret>`: the id names the row (for `tokens list` and `revoke`), the
secret is 32 random bytes. Only the SHA-256 of the whole token is stored, so the store never
holds a usable credential; the plaintext is shown once, when the token is issued. A plain
digest is enough here (no salt, no key): the secret is random, not a password.

On PostgreSQL the application's login has no privilege on `access_tokens`: every read and
write goes through the store's `SECURITY DEFINER` token functions (migration 0014, listed in
`rls.ADMIN_FUNCTIONS`), so it can look a token up only by the hash of a secret it holds, and a
listing never carries the hashes. SQLite, a single-user file, uses the table directly; both
answer through the same `TokenStore` methods.

Errors: `ConfigError` for a bad role, name, lifetime or call list; `PartitionViolation` for an
invalid customer id; `StoreError` when the database fails.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from connector.errors import ConfigError
from connector.store.admin import as_utc
from connector.store.base import check_customer_id, transaction
from connector.store.models import AccessToken, utcnow
from connector.store.rls import admin_rows

#: The roles a token may carry; what each may touch is decided in `connector.web.access`.
ROLES: tuple[str, ...] = ("operator", "platform", "call-handler")
#: The longest lifetime a token may be issued for.
MAX_TTL = timedelta(days=90)
PREFIX = "cnt_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_REPORT_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")


#: The columns `connector_token_issue` takes (as `p_<column>`).
_ISSUED = (
    "token_id",
    "token_hash",
    "name",
    "role",
    "customer_id",
    "call_list",
    "created_at",
    "created_by",
    "expires_at",
)


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_token_request(role: str, name: str, ttl: timedelta, call_list: str | None) -> None:
    """Refuse a role, name, lifetime or call-list combination that cannot be issued."""
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if not _NAME.match(name):
        raise ConfigError(
            f"invalid token name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-'"
        )
    if ttl <= timedelta(0) or ttl > MAX_TTL:
        raise ConfigError("a token's lifetime must be more than 0 and at most 90d")
    if call_list is not None:
        if role != "call-handler":
            raise ConfigError("--call-list narrows call-handler tokens only")
        if not _REPORT_ID.match(call_list):
            raise ConfigError(f"{call_list!r} is not a report id (15 or 18 letters and digits)")


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: the plaintext (shown once) and its stored row."""

    plaintext: str
    record: AccessToken


def is_live(token: AccessToken, now: datetime) -> bool:
    """True while the token is neither revoked nor expired."""
    return token.revoked_at is None and as_utc(token.expires_at) > as_utc(now)


def _token_rows(session: Session, **params: str | None) -> list[AccessToken]:
    """Tokens as `connector_tokens` returns them (PostgreSQL)."""
    rows = admin_rows(session.connection(), "connector_tokens", **params)
    return [AccessToken(**row._mapping) for row in rows]


class TokenStore:
    """Issue, find, list and revoke access tokens (not bound to one customer)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __repr__(self) -> str:
        return "TokenStore()"

    def issue(
        self,
        *,
        role: str,
        customer_id: str,
        name: str,
        ttl: timedelta,
        created_by: str,
        call_list: str | None = None,
        now: datetime | None = None,
    ) -> IssuedToken:
        """Create a token; the returned plaintext is the only copy there will ever be.

        Refuses (ConfigError) a name that a live token already carries.
        """
        check_token_request(role, name, ttl, call_list)
        customer_id = check_customer_id(customer_id)
        now = now or utcnow()
        token_id = secrets.token_hex(8)
        plaintext = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        record = AccessToken(
            token_id=token_id,
            token_hash=hash_token(plaintext),
            name=name,
            role=role,
            customer_id=customer_id,
            call_list=call_list,
            created_at=now,
            created_by=created_by,
            expires_at=now + ttl,
        )
        with transaction(self.engine, "the access tokens") as session:
            if self._postgres:
                values = {f"p_{k}": v for k, v in record.model_dump().items() if k in _ISSUED}
                [row] = admin_rows(session.connection(), "connector_token_issue", **values)
                issued = bool(row[0])
            else:
                same_name = session.exec(select(AccessToken).where(AccessToken.name == name))
                issued = not any(is_live(other, now) for other in same_name)
                if issued:
                    session.add(record)
            if not issued:
                raise ConfigError(f"a live token is already named {name!r}; revoke it first")
        return IssuedToken(plaintext, record)

    def find(self, plaintext: str) -> AccessToken | None:
        """The token whose secret is `plaintext` (live or not), or None."""
        if not plaintext.startswith(PREFIX):
            return None
        digest = hash_token(plaintext)
        with transaction(self.engine, "the access tokens") as session:
            if self._postgres:
                found = _token_rows(session, digest=digest)
                return found[0] if found else None
            return session.exec(select(AccessToken).where(AccessToken.token_hash == digest)).first()

    def list(self, customer_id: str | None = None) -> list[AccessToken]:
        """Every token (of one customer, if given), newest first; on PostgreSQL without
        their hashes (`token_hash` empty)."""
        if customer_id is not None:
            customer_id = check_customer_id(customer_id)
        with transaction(self.engine, "the access tokens") as session:
            if self._postgres:
                return _token_rows(session, customer=customer_id)
            stmt = select(AccessToken).order_by(
                col(AccessToken.created_at).desc(), col(AccessToken.token_id)
            )
            if customer_id is not None:
                stmt = stmt.where(AccessToken.customer_id == customer_id)
            return list(session.exec(stmt))

    def revoke(self, name_or_id: str, *, revoked_by: str, now: datetime | None = None) -> int:
        """Revoke the live tokens named `name_or_id` (or with that id); returns how many."""
        now = now or utcnow()
        with transaction(self.engine, "the access tokens") as session:
            if self._postgres:
                [row] = admin_rows(
                    session.connection(),
                    "connector_token_revoke",
                    p_name_or_id=name_or_id,
                    p_revoked_by=revoked_by,
                    p_at=now,
                )
                return int(row[0])
            result = session.execute(
                update(AccessToken)
                .where(
                    (col(AccessToken.name) == name_or_id)
                    | (col(AccessToken.token_id) == name_or_id),
                    col(AccessToken.revoked_at).is_(None),
                )
                .values(revoked_at=now, revoked_by=revoked_by)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    @property
    def _postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"
