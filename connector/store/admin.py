"""`AdminStore`: the only path to the store that is not bound to one customer.

Why it exists: an offboarding erasure deletes a customer's whole partition, and the record
that it happened (`Erasure`: who asked, when it was due, when it was done, how many rows) must
outlive that partition, so it cannot live inside it; the scheduler must also find every due
erasure, whichever customer it concerns. Nothing else may use this class: every other read or
write goes through `TenantStore`.

Even here the partition wall holds where it can. The partition delete names the customer in
every statement and, on PostgreSQL, binds the transaction to that customer like any tenant
transaction, so row-level security admits that customer's rows and no one else's; the erasure
records are under the same policy. Listing customers and pending erasures reads across
partitions: on PostgreSQL through the store's `SECURITY DEFINER` functions for exactly that
(customer ids; erasure records, which hold no personal data), never as the schema owner.

Errors: `StoreError` when the database fails; `PartitionViolation` for an invalid customer id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from connector.errors import StoreError
from connector.store.base import check_customer_id, insert_into, transaction
from connector.store.models import TENANT_TABLES, AccessToken, Customer, Erasure
from connector.store.rls import admin_rows, enter_tenant


class AdminStore:
    """Erasure requests and whole-partition deletion, across customers (see module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __repr__(self) -> str:
        return "AdminStore()"

    @contextmanager
    def _session(self, customer_id: str | None = None) -> Iterator[Session]:
        """A transaction; bound to `customer_id` on PostgreSQL, where the erasure records are
        under row-level security like the tenant tables."""
        with transaction(self.engine, "an erasure operation") as session:
            if customer_id is not None and self.engine.dialect.name == "postgresql":
                enter_tenant(session.connection(), customer_id)
            yield session

    # the erasure record ---------------------------------------------------------------

    def save_erasure_request(
        self, customer_id: str, *, due_at: datetime, requested_by: str, requested_at: datetime
    ) -> Erasure:
        """Record a request to erase `customer_id` by `due_at`; returns the stored record.

        A pending request is never postponed: asking again keeps the earlier deadline. A
        request for a customer erased before (then onboarded again) starts a new record.
        """
        customer_id = check_customer_id(customer_id)
        table = Erasure.__table__  # type: ignore[attr-defined]
        request = {
            "customer_id": customer_id,
            "due_at": as_utc(due_at),
            "requested_by": requested_by,
            "requested_at": as_utc(requested_at),
            "done_at": None,
            "rows_deleted": None,
        }
        stmt = insert_into(self.engine, table).values(**request)
        # one statement, no read first: two requests for a new record never race to insert
        # it, and of two pending requests the earlier deadline stays, whichever came first
        stmt = stmt.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={name: stmt.excluded[name] for name in request if name != "customer_id"},
            where=or_(table.c.done_at.is_not(None), table.c.due_at > stmt.excluded.due_at),
        )
        with self._session(customer_id) as session:
            session.execute(stmt)
            row = session.get(Erasure, customer_id)
            assert row is not None
            return row

    def get_erasure(self, customer_id: str) -> Erasure | None:
        """The erasure record of `customer_id`, if one was ever requested."""
        customer_id = check_customer_id(customer_id)
        with self._session(customer_id) as session:
            return session.get(Erasure, customer_id)

    def list_erasures(self, *, pending_only: bool = True) -> list[Erasure]:
        """Erasure records by deadline; only those not yet done unless `pending_only` is false."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                rows = [Erasure(**row._mapping) for row in admin_rows(conn, "connector_erasures")]
            return [row for row in rows if not pending_only or row.done_at is None]
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
            if conn.dialect.name == "postgresql":
                enter_tenant(conn, customer_id)
            record = conn.execute(
                select(col(Erasure.customer_id)).where(col(Erasure.customer_id) == customer_id)
            ).first()
            if record is None:
                raise StoreError(f"no erasure was requested for customer {customer_id!r}")
            for model in TENANT_TABLES:
                table = model.__table__  # type: ignore[attr-defined]
                result = conn.execute(delete(table).where(table.c.customer_id == customer_id))
                deleted[table.name] = int(result.rowcount or 0)
            tokens = AccessToken.__table__  # type: ignore[attr-defined]
            if conn.dialect.name == "postgresql":  # the bound customer's, through the function
                [(count,)] = admin_rows(conn, "connector_token_erase")
                deleted[tokens.name] = int(count)
            else:
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
            if self.engine.dialect.name == "postgresql":
                rows = admin_rows(session.connection(), "connector_customer_ids")
                return sorted(str(row[0]) for row in rows)
            return sorted(session.scalars(select(col(Customer.customer_id))))


def as_utc(when: datetime) -> datetime:
    """`when` as an aware UTC datetime (SQLite hands back naive ones, which are UTC)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
