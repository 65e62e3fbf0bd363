"""`AdminStore`: the only path to the store that is not bound to one customer.

Why it exists: an offboarding erasure deletes a customer's whole partition, and the record
that it happened (`Erasure`: who asked, when it was due, when it was done, how many rows) must
outlive that partition, so it cannot live inside it; the scheduler must also find every due
erasure, whichever customer it concerns. Nothing else may use this class: every other read or
write goes through `TenantStore`.

Even here the partition wall holds where it can. The partition delete names the customer in
every statement and, on PostgreSQL, pins the row-level-security setting to that customer for
the transaction, so the policies admit that customer's rows and no one else's (whatever the
database role). Listing customers reads across partitions; on PostgreSQL it needs a role that
row-level security does not restrict (the schema owner with BYPASSRLS, or a superuser).

Errors: `StoreError` when the database fails; `PartitionViolation` for an invalid customer id.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime

from sqlalchemy import delete, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from connector.errors import StoreError
from connector.store.base import check_customer_id, transaction
from connector.store.models import TENANT_TABLES, AccessToken, Customer, Erasure
from connector.store.rls import CUSTOMER_SETTING


class AdminStore:
    """Erasure requests and whole-partition deletion, across customers (see module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __repr__(self) -> str:
        return "AdminStore()"

    def _session(self) -> AbstractContextManager[Session]:
        return transaction(self.engine, "an erasure operation")

    # the erasure record ---------------------------------------------------------------

    def save_erasure_request(
        self, customer_id: str, *, due_at: datetime, requested_by: str, requested_at: datetime
    ) -> Erasure:
        """Record a request to erase `customer_id` by `due_at`; returns the stored record.

        A pending request is never postponed: asking again keeps the earlier deadline. A
        request for a customer erased before (then onboarded again) starts a new record.
        """
        customer_id = check_customer_id(customer_id)
        with self._session() as session:
            row = session.get(Erasure, customer_id)
            if row is not None and row.done_at is None and as_utc(row.due_at) <= as_utc(due_at):
                return row
            row = row or Erasure(customer_id=customer_id, due_at=due_at, requested_by="")
            row.requested_at, row.due_at, row.requested_by = requested_at, due_at, requested_by
            row.done_at, row.rows_deleted = None, None
            session.add(row)
            return row

    def get_erasure(self, customer_id: str) -> Erasure | None:
        """The erasure record of `customer_id`, if one was ever requested."""
        with self._session() as session:
            return session.get(Erasure, check_customer_id(customer_id))

    def list_erasures(self, *, pending_only: bool = True) -> list[Erasure]:
        """Erasure records by deadline; only those not yet done unless `pending_only` is false."""
        with self._session() as session:
            stmt = select(Erasure).order_by(col(Erasure.due_at), col(Erasure.customer_id))
            if pending_only:
                stmt = stmt.where(col(Erasure.done_at).is_(None))
            return list(session.scalars(stmt))

    # the partition --------------------------------------------------------------------

    def erase_partition(
        self, customer_id: str, *, done_at: datetime, revoke_error: str | None = None
    ) -> dict[str, int]:
        """Delete every row of `customer_id` in every tenant table (and its access tokens) and
        mark the erasure done.

        One transaction: either the whole partition is gone and the record says so, or
        nothing changed. Returns rows deleted per table name. Raises StoreError if no erasure
        was requested for the customer (deletion without a record is refused).
        """
        customer_id = check_customer_id(customer_id)
        deleted: dict[str, int] = {}
        with self.engine.begin() as conn:
            record = conn.execute(
                select(col(Erasure.customer_id)).where(col(Erasure.customer_id) == customer_id)
            ).first()
            if record is None:
                raise StoreError(f"no erasure was requested for customer {customer_id!r}")
            _pin_partition(conn, customer_id)
            for model in TENANT_TABLES:
                table = model.__table__  # type: ignore[attr-defined]
                result = conn.execute(delete(table).where(table.c.customer_id == customer_id))
                deleted[table.name] = int(result.rowcount or 0)
            tokens = AccessToken.__table__  # type: ignore[attr-defined]
            result = conn.execute(delete(tokens).where(tokens.c.customer_id == customer_id))
            deleted[tokens.name] = int(result.rowcount or 0)
            conn.execute(
                Erasure.__table__.update()  # type: ignore[attr-defined]
                .where(Erasure.__table__.c.customer_id == customer_id)  # type: ignore[attr-defined]
                .values(
                    done_at=done_at,
                    rows_deleted=sum(deleted.values()),
                    revoke_error=revoke_error[:500] if revoke_error else None,
                )
            )
        return deleted

    def customer_ids(self) -> list[str]:
        """Every customer with a row in `customers`, sorted (for retention over all customers)."""
        with self._session() as session:
            return sorted(session.scalars(select(col(Customer.customer_id))))


def _pin_partition(conn: Connection, customer_id: str) -> None:
    """On PostgreSQL, let row-level security admit exactly `customer_id` in this transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT set_config(:name, :value, true)"),
            {"name": CUSTOMER_SETTING, "value": customer_id},
        )


def as_utc(when: datetime) -> datetime:
    """`when` as an aware UTC datetime (SQLite hands back naive ones, which are UTC)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
