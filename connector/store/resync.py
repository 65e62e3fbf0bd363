"""The scheduler's bookkeeping: resync requests and schedule state, per customer.

Resync requests arrive from the CRM (an outbound message, a signed webhook) and wait here
until the scheduler runs them. Each is keyed by the id its sender gave it (the Notification
Id, or the webhook's signature), so a redelivery of the same message is recorded once.

`scheduled_customers` is the scheduler's one cross-customer read: which connected customers
exist, their status and when they are next due. On PostgreSQL, where row-level security hides
every customer's rows from a transaction not bound to it, the same query is the store's
`SECURITY DEFINER` function `connector_scheduled_customers()` (migration 0002).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from connector.store.admin import as_utc
from connector.store.leases import LeasesMixin, db_time
from connector.store.models import Connection, Customer, ResyncRequest, ScheduleState, utcnow
from connector.store.rls import admin_rows


@dataclass(frozen=True)
class CustomerSchedule:
    """What the scheduler needs to know about one customer to decide whether it is due."""

    customer_id: str
    status: str = "active"
    next_due_at: datetime | None = None
    last_run_at: datetime | None = None
    consecutive_failures: int = 0
    pending_resyncs: int = 0


def scheduled_customers(engine: Engine) -> list[CustomerSchedule]:
    """Every customer with a connection, with its status, schedule state and pending resyncs.

    One query across customers (the scheduler's plan), sorted by customer id. Raises nothing
    of its own; database errors surface as SQLAlchemy errors to the caller.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            rows = admin_rows(conn, "connector_scheduled_customers")
        return [_schedule_of(*tuple(row)) for row in rows]
    pending = (
        select(ResyncRequest.customer_id, func.count().label("n"))
        .where(ResyncRequest.status == "pending")
        .group_by(col(ResyncRequest.customer_id))
        .subquery()
    )
    stmt = (
        select(  # type: ignore[call-overload]
            col(Connection.customer_id),
            col(Customer.status),
            col(ScheduleState.next_due_at),
            col(ScheduleState.last_run_at),
            col(ScheduleState.consecutive_failures),
            pending.c.n,
        )
        .outerjoin(Customer, col(Customer.customer_id) == col(Connection.customer_id))
        .outerjoin(ScheduleState, col(ScheduleState.customer_id) == col(Connection.customer_id))
        .outerjoin(pending, pending.c.customer_id == col(Connection.customer_id))
        .order_by(col(Connection.customer_id))
    )
    with Session(engine) as session:
        return [_schedule_of(*row) for row in session.execute(stmt).all()]


def _schedule_of(
    customer_id: str,
    status: str | None,
    next_due_at: datetime | None,
    last_run_at: datetime | None,
    failures: int | None,
    pending: int | None,
) -> CustomerSchedule:
    return CustomerSchedule(
        customer_id=customer_id,
        status=status or "active",
        next_due_at=as_utc(next_due_at) if next_due_at else None,
        last_run_at=as_utc(last_run_at) if last_run_at else None,
        consecutive_failures=failures or 0,
        pending_resyncs=pending or 0,
    )


class ResyncMixin(LeasesMixin):
    """Resync requests and the schedule state of one customer."""

    def record_resync(self, request_id: str, source: str, *, now: datetime | None = None) -> bool:
        """Record a pending resync request; False when `request_id` was already recorded.

        Raises StoreError when the database fails.
        """
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = (
            dialect.insert(ResyncRequest)
            .values(
                customer_id=self.customer_id,
                request_id=request_id,
                source=source,
                requested_at=db_time(now or utcnow()),
                status="pending",
            )
            .on_conflict_do_nothing(index_elements=["customer_id", "request_id"])
            .returning(col(ResyncRequest.request_id))
        )
        with self.session() as session:
            return session.execute(stmt).scalar_one_or_none() is not None

    def pending_resyncs(self) -> list[ResyncRequest]:
        """Requests not yet handled, oldest first."""
        with self.session() as session:
            stmt = (
                select(ResyncRequest)
                .where(ResyncRequest.status == "pending")
                .order_by(col(ResyncRequest.requested_at), col(ResyncRequest.request_id))
            )
            return list(session.exec(stmt))

    def finish_resyncs(
        self, request_ids: Iterable[str], *, token: int, now: datetime | None = None
    ) -> int:
        """Mark requests done, as a fenced write; returns how many were pending.

        Raises LeaseLost when `token` is no longer the customer's lease token.
        """
        ids = list(request_ids)
        with self.fenced_session(token) as session:
            if not ids:
                return 0
            stmt = select(ResyncRequest).where(
                col(ResyncRequest.request_id).in_(ids), ResyncRequest.status == "pending"
            )
            rows = list(session.exec(stmt))
            for row in rows:
                row.status, row.handled_at = "done", db_time(now or utcnow())
                session.add(row)
            return len(rows)

    def schedule_state(self) -> CustomerSchedule:
        """The customer's status, schedule state and pending resyncs, read in one session."""
        with self.session() as session:
            customer = session.get(Customer, self.customer_id)
            state = session.get(ScheduleState, self.customer_id)
            pending = session.exec(
                select(func.count())
                .select_from(ResyncRequest)
                .where(ResyncRequest.status == "pending")
            ).one()
        return _schedule_of(
            self.customer_id,
            customer.status if customer else None,
            state.next_due_at if state else None,
            state.last_run_at if state else None,
            state.consecutive_failures if state else None,
            pending,
        )

    def save_schedule_state(
        self,
        *,
        token: int,
        next_due_at: datetime,
        last_run_at: datetime,
        consecutive_failures: int,
    ) -> None:
        """Record when the customer is next due and how its last run went, fenced by `token`.

        Raises LeaseLost when the lease was taken over.
        """
        with self.fenced_session(token) as session:
            state = session.get(ScheduleState, self.customer_id) or ScheduleState(
                customer_id=self.customer_id
            )
            state.next_due_at = db_time(next_due_at)
            state.last_run_at = db_time(last_run_at)
            state.consecutive_failures = consecutive_failures
            session.add(state)
