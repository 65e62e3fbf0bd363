"""Store operations on a customer's CRM connection: credentials (encrypted), tokens, status.

The store never sees a plaintext secret: callers pass values already encrypted by the vault
(`*_enc` columns). Saving a new token set is one transaction, so a rotated refresh token and
the access token it came with are persisted together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from connector.errors import StoreError
from connector.store.base import TenantStoreBase
from connector.store.models import Connection, Customer, utcnow
from connector.store.rls import admin_rows

#: The encrypted columns of `Connection`, in the order `secrets rotate` reports them.
SECRET_COLUMNS: tuple[str, ...] = (
    "refresh_token_enc",
    "private_key_enc",
    "client_secret_enc",
    "access_token_enc",
)


def connected_customer_ids(engine: Engine) -> list[str]:
    """Every customer that has a connection row, sorted (for key rotation and status).

    This reads across customers: on PostgreSQL through the store's `SECURITY DEFINER`
    function for it, which returns customer ids only (row-level security hides the rest).
    """
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            rows = admin_rows(session.connection(), "connector_connected_customer_ids")
            return sorted(str(row[0]) for row in rows)
        return sorted(session.exec(select(Connection.customer_id)).all())


class ConnectionsMixin(TenantStoreBase):
    """The customer's CRM connection and its encrypted secrets."""

    def get_connection(self) -> Connection | None:
        """The connection row, or None if the customer was never connected."""
        with self.session() as session:
            return session.get(Connection, self.customer_id)

    def save_connection(self, connection: Connection) -> Connection:
        """Insert or replace the connection, and reactivate a customer waiting for a reconnect.

        A paused customer stays paused: connecting does not resume syncs.
        """
        values = {**connection.model_dump(exclude={"customer_id"}), "updated_at": utcnow()}
        with self.session() as session:
            # one upsert, no read first: two first connections at once never race to insert
            self.upsert(session, Connection, [values], keys=[])
            self._reactivate(session)
            row = session.get(Connection, self.customer_id)
            assert row is not None
            return row

    def save_tokens(
        self,
        *,
        access_token_enc: str,
        refresh_token_enc: str | None = None,
        instance_url: str | None = None,
        organization_id: str | None = None,
        user_id: str | None = None,
    ) -> Connection:
        """Persist a new access token and, if given, a rotated refresh token, atomically.

        Fields left as None keep their stored value. Raises StoreError if no connection exists.
        """
        with self.session() as session:
            row = session.get(Connection, self.customer_id)
            if row is None:
                raise StoreError(f"customer {self.customer_id!r} has no connection to update")
            row.access_token_enc = access_token_enc
            updates: dict[str, Any] = {
                "refresh_token_enc": refresh_token_enc,
                "instance_url": instance_url,
                "organization_id": organization_id,
                "user_id": user_id,
            }
            for name, value in updates.items():
                if value is not None:
                    setattr(row, name, value)
            row.updated_at = utcnow()
            session.add(row)
            return row

    def clear_connection_secrets(self) -> int:
        """Delete every stored secret of the connection; returns how many were set."""
        with self.session() as session:
            row = session.get(Connection, self.customer_id)
            if row is None:
                return 0
            cleared = sum(1 for name in SECRET_COLUMNS if getattr(row, name))
            for name in SECRET_COLUMNS:
                setattr(row, name, None)
            row.updated_at = utcnow()
            session.add(row)
            return cleared

    def mark_reconnect_needed(self, reason: str) -> None:
        """Set the customer's status to `reconnect_needed` with `reason` (no secrets in it)."""
        self.set_customer_status("reconnect_needed", reason)

    def drop_refused_tokens(self, refused_refresh_token_enc: str | None) -> bool:
        """Delete the stored refresh and access tokens after the CRM refused the grant.

        A compare-and-set on the refused (encrypted) refresh token: when another process
        stored a new one meanwhile, nothing is deleted and False is returned.
        """
        with self.session() as session:
            row = session.get(Connection, self.customer_id)
            if row is None or row.refresh_token_enc != refused_refresh_token_enc:
                return False
            row.refresh_token_enc = None
            row.access_token_enc = None
            row.updated_at = utcnow()
            session.add(row)
            return True

    def re_encrypt_secrets(self, transform: Callable[[str, str], str]) -> dict[str, int]:
        """Replace each stored secret `v` of column `c` by `transform(c, v)`, in one transaction.

        Used by key rotation; returns how many values of each column were rewritten.
        """
        counts = dict.fromkeys(SECRET_COLUMNS, 0)
        with self.session() as session:
            row = session.get(Connection, self.customer_id)
            if row is None:
                return counts
            for name in SECRET_COLUMNS:
                value = getattr(row, name)
                if value:
                    setattr(row, name, transform(name, value))
                    counts[name] += 1
            session.add(row)
        return counts

    def _reactivate(self, session: Session) -> None:
        """Make the customer's row if it has none; a customer waiting for a reconnect is
        active again (one upsert: no read first that a concurrent first write could race)."""
        row = {"status": "active", "status_reason": None, "updated_at": utcnow()}
        waiting = col(Customer.status) == "reconnect_needed"
        self.upsert(session, Customer, [row], keys=[], only_if=waiting)
