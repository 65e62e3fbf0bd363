"""The fleet's figures in a fixed number of statements, whatever the number of customers.

`connector status`, `GET /api/customers` and every `/metrics` scrape read each customer's
state, recent runs and run counts. Read customer by customer, a scrape would cost several
statements per customer; here it costs three. The rows hold counts, codes, times and the
operator who paused a customer, never personal data. On PostgreSQL the same queries are the
store's `SECURITY DEFINER` functions `connector_ops_*` (migration 0013), since row-level
security hides every customer's rows from a transaction not bound to it.

Errors: database failures surface as SQLAlchemy errors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, TextClause, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from connector.errors import StoreError
from connector.store.admin import as_utc
from connector.store.models import SyncRun
from connector.store.rls import admin_rows


@dataclass(frozen=True)
class CustomerRow:
    """One customer's stored state (a customer row or a connection exists)."""

    customer_id: str
    status: str | None
    status_reason: str | None
    connected: bool
    next_due_at: datetime | None
    consecutive_failures: int
    pending_resyncs: int
    activities_pending: int
    activities_failed: int
    paused_by: str | None
    paused_at: datetime | None
    column_check_at: datetime | None = None
    column_problems: int | None = None


@dataclass(frozen=True)
class RunRow:
    """A run's counters and codes (never its error message)."""

    customer_id: str
    run_id: str
    kind: str
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_read: int
    prospects_written: int
    rejected: int
    activities_pushed: int
    activities_failed: int
    api_calls: int
    api_used: int | None
    api_limit: int | None
    report_runs_remaining: int | None
    report_runs_max: int | None
    error_code: str | None


@dataclass
class FleetRows:
    """Everything the fleet's status and metrics need, keyed by customer id."""

    customers: dict[str, CustomerRow] = field(default_factory=dict)
    runs: dict[str, list[RunRow]] = field(default_factory=lambda: defaultdict(list))
    run_counts: dict[str, dict[tuple[str, str], int]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    last_finished: dict[str, dict[tuple[str, str], datetime]] = field(
        default_factory=lambda: defaultdict(dict)
    )


_CUSTOMERS = """
SELECT k.customer_id, cu.status, cu.status_reason,
       EXISTS (SELECT 1 FROM connections AS cn WHERE cn.customer_id = k.customer_id)
           AS connected,
       s.next_due_at, s.consecutive_failures,
       (SELECT count(*) FROM resync_requests AS q
         WHERE q.customer_id = k.customer_id AND q.status = 'pending') AS pending_resyncs,
       (SELECT count(*) FROM activities AS a
         WHERE a.customer_id = k.customer_id AND a.push_status = 'pending')
           AS activities_pending,
       (SELECT count(*) FROM activities AS a
         WHERE a.customer_id = k.customer_id AND a.push_status = 'failed')
           AS activities_failed,
       p.actor AS paused_by, p.at AS paused_at,
       s.column_check_at, s.column_problems
FROM (SELECT customer_id FROM customers UNION SELECT customer_id FROM connections) AS k
LEFT JOIN customers AS cu ON cu.customer_id = k.customer_id
LEFT JOIN schedule_state AS s ON s.customer_id = k.customer_id
LEFT JOIN (
    SELECT e.customer_id, e.actor, e.at,
           row_number() OVER (PARTITION BY e.customer_id ORDER BY e.at DESC) AS n
    FROM audit_events AS e WHERE e.action = 'pause'
) AS p ON p.customer_id = k.customer_id AND p.n = 1
ORDER BY 1
"""

_RUNS = """
SELECT r.customer_id, r.run_id, r.kind, r.trigger, r.status, r.started_at, r.finished_at,
       r.rows_read, r.prospects_written, r.rejected, r.activities_pushed,
       r.activities_failed, r.api_calls, r.api_used, r.api_limit, r.report_runs_remaining,
       r.report_runs_max, r.error_code
FROM (
    SELECT x.*, row_number() OVER (
        PARTITION BY x.customer_id ORDER BY x.started_at DESC, x.run_id DESC) AS n
    FROM sync_runs AS x
) AS r
WHERE r.n <= :per_customer
ORDER BY r.customer_id, r.started_at DESC, r.run_id DESC
"""

_RUN_COUNTS = """
SELECT r.customer_id, r.kind, r.status, count(*) AS runs, max(r.finished_at) AS last_finished_at
FROM sync_runs AS r
GROUP BY r.customer_id, r.kind, r.status
ORDER BY 1, 2, 3
"""

_TIME = SyncRun.__table__.c.started_at.type  # type: ignore[attr-defined]
_CUSTOMER_TIMES = ("next_due_at", "paused_at", "column_check_at")


def _typed(sql: str, times: tuple[str, ...], flags: tuple[str, ...] = ()) -> TextClause:
    """`sql` with its time and flag columns typed, so SQLite hands back datetimes and bools."""
    types: dict[str, Any] = {name: _TIME for name in times} | {name: Boolean for name in flags}
    return text(sql).columns(**types)  # type: ignore[return-value]


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """A connection for the fleet's reads; driver errors become StoreError (the database's
    own message, not the statement)."""
    try:
        with engine.connect() as conn:
            yield conn
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        raise StoreError(f"store error reading the fleet: {reason}") from exc


def read_fleet(engine: Engine, *, runs_per_customer: int) -> FleetRows:
    """Every stored customer's state, its last `runs_per_customer` runs and its run counts."""
    with _reading(engine) as conn:
        customers = _customer_rows(conn)
        runs = _rows(
            conn,
            "connector_ops_runs",
            _typed(_RUNS, ("started_at", "finished_at")),
            per_customer=runs_per_customer,
        )
        counts = _rows(conn, "connector_ops_run_counts", _typed(_RUN_COUNTS, ("last_finished_at",)))
    fleet = FleetRows()
    fleet.customers = customers
    for row in runs:
        values = dict(row)
        values["started_at"] = as_utc(values["started_at"])
        values["finished_at"] = _utc(values["finished_at"])
        fleet.runs[row["customer_id"]].append(RunRow(**values))
    for row in counts:
        key = (row["kind"], row["status"])
        fleet.run_counts[row["customer_id"]][key] = int(row["runs"])
        if row["last_finished_at"] is not None:
            fleet.last_finished[row["customer_id"]][key] = as_utc(row["last_finished_at"])
    return fleet


def read_customers(engine: Engine) -> dict[str, CustomerRow]:
    """Every stored customer's state alone, in one statement (the scheduler's daily checks)."""
    with _reading(engine) as conn:
        return _customer_rows(conn)


def _customer_rows(conn: Connection) -> dict[str, CustomerRow]:
    rows = _rows(
        conn, "connector_ops_customers", _typed(_CUSTOMERS, _CUSTOMER_TIMES, ("connected",))
    )
    return {row["customer_id"]: _customer(row) for row in rows}


def _customer(row: Any) -> CustomerRow:
    return CustomerRow(
        customer_id=row["customer_id"],
        status=row["status"],
        status_reason=row["status_reason"],
        connected=bool(row["connected"]),
        next_due_at=_utc(row["next_due_at"]),
        consecutive_failures=int(row["consecutive_failures"] or 0),
        pending_resyncs=int(row["pending_resyncs"] or 0),
        activities_pending=int(row["activities_pending"] or 0),
        activities_failed=int(row["activities_failed"] or 0),
        paused_by=row["paused_by"],
        paused_at=_utc(row["paused_at"]),
        column_check_at=_utc(row["column_check_at"]),
        column_problems=row["column_problems"],
    )


def _rows(conn: Connection, function: str, query: TextClause, **params: Any) -> list[Any]:
    if conn.dialect.name == "postgresql":
        return [row._mapping for row in admin_rows(conn, function, **params)]
    return [row._mapping for row in conn.execute(query, params)]


def _utc(when: datetime | None) -> datetime | None:
    return as_utc(when) if when is not None else None
