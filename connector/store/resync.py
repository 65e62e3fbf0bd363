"""The scheduler's bookkeeping: resync requests and schedule state, per customer.

Resync requests arrive from the CRM (an outbound message, a signed webhook) and wait here
until the scheduler runs them. Each is keyed by the id its sender gave it (the Notification
Id, or the webhook's signature), so a redelivery of the same message is recorded once.
Requests coalesce: a customer has at most one pending request (a partial unique index), so
any number of requests while one waits costs one full pull. Handled requests stay as the
record of when resyncs ran, from which the scheduler reads the gap and the daily count.

`scheduled_customers` is the scheduler's one cross-customer read: which connected customers
exist, their status and when they are next due. On PostgreSQL, where row-level security hides
every customer's rows from a transaction not bound to it, the same query is the store's
`SECURITY DEFINER` function `connector_scheduled_customers()` (migration 0002).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, func, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Subquery
from sqlmodel import Session, col, select

from connector.store.admin import as_utc
from connector.store.base import insert_into
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
    last_resync_at: datetime | None = None
    resyncs_last_day: int = 0


ResyncOutcome = Literal["recorded", "duplicate", "coalesced"]
DAY = timedelta(days=1)


def _resync_counts(now: datetime, customer_id: str | None = None) -> Subquery:
    """Per customer: pending requests, the last handled one, and how many in the last day."""
    since = db_time(now - DAY)
    stmt = select(
        col(ResyncRequest.customer_id),
        func.sum(case((col(ResyncRequest.status) == "pending", 1), else_=0)).label("pending"),
        func.max(col(ResyncRequest.handled_at)).label("last"),
        func.sum(
            case(
                (
                    (col(ResyncRequest.status) == "done")
                    & (col(ResyncRequest.handled_at) >= since),
                    1,
                ),
                else_=0,
            )
        ).label("day"),
    ).group_by(col(ResyncRequest.customer_id))
    if customer_id is not None:
        stmt = stmt.where(col(ResyncRequest.customer_id) == customer_id)
    return stmt.subquery()


def scheduled_customers(engine: Engine, now: datetime | None = None) -> list[CustomerSchedule]:
    """Every customer with a connection, with its status, schedule state and resync counts.

    One query across customers (the scheduler's plan), sorted by customer id; "the last day"
    ends at `now`. Raises nothing of its own; database errors surface as SQLAlchemy errors.
    """
    since = db_time((now or utcnow()) - DAY)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            rows = admin_rows(conn, "connector_scheduled_customers", since=since)
        return [_schedule_of(*tuple(row)) for row in rows]
    counts = _resync_counts(now or utcnow())
    stmt = (
        select(  # type: ignore[call-overload]
            col(Connection.customer_id),
            col(Customer.status),
            col(ScheduleState.next_due_at),
            col(ScheduleState.last_run_at),
            col(ScheduleState.consecutive_failures),
            counts.c.pending,
            counts.c.last,
            counts.c.day,
        )
        .outerjoin(Customer, col(Customer.customer_id) == col(Connection.customer_id))
        .outerjoin(ScheduleState, col(ScheduleState.customer_id) == col(Connection.customer_id))
        .outerjoin(counts, counts.c.customer_id == col(Connection.customer_id))
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
    last_resync_at: datetime | None = None,
    resyncs_last_day: int | None = None,
) -> CustomerSchedule:
    return CustomerSchedule(
        customer_id=customer_id,
        status=status or "active",
        next_due_at=as_utc(next_due_at) if next_due_at else None,
        last_run_at=as_utc(last_run_at) if last_run_at else None,
        consecutive_failures=failures or 0,
        pending_resyncs=pending or 0,
        last_resync_at=as_utc(last_resync_at) if last_resync_at else None,
        resyncs_last_day=resyncs_last_day or 0,
    )


class ResyncMixin(LeasesMixin):
    """Resync requests and the schedule state of one customer."""

    def record_resync(
        self, request_id: str, source: str, *, now: datetime | None = None
    ) -> ResyncOutcome:
        """Record a resync request, unless it is a repeat or another one is already pending.

        "recorded": now pending; "duplicate": `request_id` was recorded before (a redelivery
        or a replay); "coalesced": another request is pending, which covers this one (nothing
        is stored). Raises StoreError when the database fails.
        """
        return self.record_resyncs([request_id], source, now=now)[0]

    def record_resyncs(
        self, request_ids: Iterable[str], source: str, *, now: datetime | None = None
    ) -> list[ResyncOutcome]:
        """`record_resync` for each id, in one transaction (an outbound message's batch).

        Two statements whatever the batch: which ids were seen before, then one insert of
        the first new id (which the one-pending index turns away when a request waits).
        """
        ids = list(request_ids)
        with self.session() as session:
            seen = set(
                session.exec(
                    select(ResyncRequest.request_id).where(
                        ResyncRequest.customer_id == self.customer_id,
                        col(ResyncRequest.request_id).in_(ids),
                    )
                )
            )
            new = [request_id for request_id in dict.fromkeys(ids) if request_id not in seen]
            inserted = bool(new) and self._insert_pending(session, new[0], source, now)
            if new and not inserted:
                self._renew_pending(session, now)
        outcomes: list[ResyncOutcome] = []
        for request_id in ids:
            if request_id in seen:
                outcomes.append("duplicate")
            elif inserted and request_id == new[0]:
                outcomes.append("recorded")
                seen.add(request_id)
            else:
                outcomes.append("coalesced")
        return outcomes

    def _renew_pending(self, session: Session, now: datetime | None) -> None:
        """Move the pending request's time to `now`: a run that started before it stays due."""
        at = db_time(now or utcnow())
        session.execute(
            update(ResyncRequest)
            .where(
                col(ResyncRequest.customer_id) == self.customer_id,
                col(ResyncRequest.status) == "pending",
                col(ResyncRequest.requested_at) < at,
            )
            .values(requested_at=at)
            .execution_options(synchronize_session=False)
        )

    def _insert_pending(
        self, session: Session, request_id: str, source: str, now: datetime | None
    ) -> bool:
        stmt = (
            insert_into(self.engine, ResyncRequest)
            .values(
                customer_id=self.customer_id,
                request_id=request_id,
                source=source,
                requested_at=db_time(now or utcnow()),
                status="pending",
            )
            .on_conflict_do_nothing()
            .returning(col(ResyncRequest.request_id))
        )
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

    def recent_resyncs(self, limit: int = 10) -> list[ResyncRequest]:
        """The latest requests, pending or handled, newest first (what the console shows)."""
        with self.session() as session:
            stmt = (
                select(ResyncRequest)
                .order_by(col(ResyncRequest.requested_at).desc(), col(ResyncRequest.request_id))
                .limit(limit)
            )
            return list(session.exec(stmt))

    def make_due_now(self, now: datetime | None = None) -> None:
        """Make the customer due at `now` (an operator's "sync now"); an earlier due time stays.

        Not fenced: a run already going saves its own next due time when it ends, which is
        what the operator asked for (a run) anyway.
        """
        at = db_time(now or utcnow())
        stored = col(ScheduleState.next_due_at)
        with self.session() as session:
            self.upsert(
                session,
                ScheduleState,
                [{"next_due_at": at}],
                keys=[],
                only_if=or_(stored.is_(None), stored > at),
            )

    def finish_resyncs(
        self,
        request_ids: Iterable[str],
        *,
        token: int,
        now: datetime | None = None,
        requested_until: datetime | None = None,
    ) -> int:
        """Mark requests done, as a fenced write; returns how many were pending.

        With `requested_until` (the run's start), a request renewed after it (a request that
        coalesced into it while the run was going) stays pending for the next run.
        Raises LeaseLost when `token` is no longer the customer's lease token.
        """
        ids = list(request_ids)
        with self.fenced_session(token) as session:
            if not ids:
                return 0
            stmt = select(ResyncRequest).where(
                col(ResyncRequest.request_id).in_(ids), ResyncRequest.status == "pending"
            )
            if requested_until is not None:
                stmt = stmt.where(col(ResyncRequest.requested_at) <= db_time(requested_until))
            rows = list(session.exec(stmt))
            for row in rows:
                row.status, row.handled_at = "done", db_time(now or utcnow())
                session.add(row)
            return len(rows)

    def schedule_state(self, now: datetime | None = None) -> CustomerSchedule:
        """The customer's status, schedule state and resync counts, read in one session."""
        counts = _resync_counts(now or utcnow(), self.customer_id)
        with self.session() as session:
            customer = session.get(Customer, self.customer_id)
            state = session.get(ScheduleState, self.customer_id)
            row = session.execute(select(counts.c.pending, counts.c.last, counts.c.day)).first()
        pending, last, day = row if row is not None else (0, None, 0)
        return _schedule_of(
            self.customer_id,
            customer.status if customer else None,
            state.next_due_at if state else None,
            state.last_run_at if state else None,
            state.consecutive_failures if state else None,
            pending,
            last,
            day,
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
        row = {
            "next_due_at": db_time(next_due_at),
            "last_run_at": db_time(last_run_at),
            "consecutive_failures": consecutive_failures,
        }
        with self.fenced_session(token) as session:
            self.upsert(session, ScheduleState, [row], keys=[])

    def save_column_check(self, at: datetime, problems: int | None) -> None:
        """Record that the daily online column check ran at `at` and how many problems it found
        (None: it could not reach the CRM, so the last count stands)."""
        row: dict[str, Any] = {"column_check_at": db_time(at)}
        if problems is not None:
            row["column_problems"] = problems
        with self.session() as session:
            self.upsert(session, ScheduleState, [row], keys=[])
