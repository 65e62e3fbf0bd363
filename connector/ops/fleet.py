"""Gather every customer's status from the store (the I/O half of `connector.ops`).

Customers are those with a field map or with rows in the store. The whole fleet is read in a
fixed number of statements (`connector.store.fleet_rows`, plus the pending erasures), however
many customers there are: `/metrics` reads it at every scrape. `require_known_customer` is the
store's one known-customer check. Raises StoreError when the database fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import Engine

from connector.fieldmap.loader import available_customers
from connector.ops.metrics import CustomerFigures
from connector.ops.status import (
    ApiUsage,
    CustomerStatus,
    ReportRunUsage,
    RunSummary,
    derive_state,
    sort_by_trouble,
)
from connector.store.admin import AdminStore, as_utc
from connector.store.customers import TEMPLATE_MAP, require_known_customer
from connector.store.fleet_rows import FleetRows, RunRow, read_fleet
from connector.store.models import Erasure

__all__ = ["RECENT_RUNS", "load_customer", "load_figures", "load_fleet", "require_known_customer"]

#: Runs shown by `connector status CUSTOMER` and `GET /api/customers/{c}`.
RECENT_RUNS = 10


def load_fleet(
    engine: Engine, field_maps_dir: Path, *, budget_share: float
) -> list[CustomerStatus]:
    """The status of every known customer, trouble first."""
    return sort_by_trouble([item.status for item in _load(engine, field_maps_dir, budget_share)])


def load_customer(
    engine: Engine, customer: str, *, budget_share: float, runs: int = RECENT_RUNS
) -> CustomerStatus:
    """One customer's status in depth (its last `runs` runs included)."""
    rows = read_fleet(engine, runs_per_customer=max(runs, 1))
    erasure = _pending_erasures(engine).get(customer)
    return _status(customer, rows, erasure, budget_share=budget_share, runs=runs)


def load_figures(
    engine: Engine, field_maps_dir: Path, *, budget_share: float
) -> list[CustomerFigures]:
    """Every customer's status with its run counts and last successes (for the metrics).

    A fixed number of statements, however many customers there are (every scrape calls it).
    """
    return _load(engine, field_maps_dir, budget_share)


def _load(engine: Engine, field_maps_dir: Path, budget_share: float) -> list[CustomerFigures]:
    rows = read_fleet(engine, runs_per_customer=RECENT_RUNS)
    erasures = _pending_erasures(engine)
    maps = set(available_customers(Path(field_maps_dir))) - {TEMPLATE_MAP}
    figures = []
    for customer in sorted(maps | set(rows.customers) | set(rows.runs)):
        status = _status(
            customer, rows, erasures.get(customer), budget_share=budget_share, runs=RECENT_RUNS
        )
        finished = rows.last_finished.get(customer, {})
        figures.append(
            CustomerFigures(
                status=status,
                run_counts=dict(rows.run_counts.get(customer, {})),
                last_success={k: finished.get((k, "succeeded")) for k in ("pull", "push")},
            )
        )
    return figures


def _status(
    customer: str,
    rows: FleetRows,
    erasure: Erasure | None,
    *,
    budget_share: float,
    runs: int,
) -> CustomerStatus:
    """The status of one customer from the fleet's rows."""
    row = rows.customers.get(customer)
    stored = rows.runs.get(customer, [])
    recent = [summarize_run(run) for run in stored]
    last_pull = next((run for run in recent if run.kind == "pull"), None)
    paused = row is not None and row.status == "paused" and erasure is None
    failures = row.consecutive_failures if row else 0
    return CustomerStatus(
        customer_id=customer,
        state=derive_state(
            row.status if row else None,
            consecutive_failures=failures,
            erasure_pending=erasure is not None,
        ),
        reason=row.status_reason if row else None,
        paused_by=row.paused_by if paused and row else None,
        paused_at=row.paused_at if paused and row else None,
        connected=bool(row and row.connected),
        next_due_at=row.next_due_at if row else None,
        consecutive_failures=failures,
        last_run=recent[0] if recent else None,
        last_pull=last_pull,
        api=_api_usage(stored, budget_share),
        report_runs=_report_runs(stored),
        pending_activities=row.activities_pending if row else 0,
        parked_activities=row.activities_failed if row else 0,
        pending_resyncs=row.pending_resyncs if row else 0,
        erasure_due_at=as_utc(erasure.due_at) if erasure is not None else None,
        recent_runs=tuple(recent[:runs]),
        column_check_at=row.column_check_at if row else None,
        column_problems=row.column_problems if row else None,
    )


def summarize_run(run: RunRow) -> RunSummary:
    """The operator's view of a stored run (counts and codes, never messages)."""
    return RunSummary(
        run_id=run.run_id,
        kind=run.kind,
        trigger=run.trigger,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        rows_read=run.rows_read,
        prospects_written=run.prospects_written,
        rejected=run.rejected,
        activities_pushed=run.activities_pushed,
        activities_failed=run.activities_failed,
        api_calls=run.api_calls,
        error_code=run.error_code,
    )


def _api_usage(runs: Iterable[RunRow], budget_share: float) -> ApiUsage:
    seen = next((run for run in runs if run.api_used is not None), None)
    if seen is None:
        return ApiUsage(used=None, limit=None, budget_share=budget_share)
    return ApiUsage(used=seen.api_used, limit=seen.api_limit, budget_share=budget_share)


def _report_runs(runs: Iterable[RunRow]) -> ReportRunUsage | None:
    seen = next((run for run in runs if run.report_runs_max is not None), None)
    if seen is None or seen.report_runs_max is None:
        return None
    return ReportRunUsage(
        remaining=seen.report_runs_remaining or 0,
        limit=seen.report_runs_max,
        seen_at=seen.finished_at or seen.started_at,
    )


def _pending_erasures(engine: Engine) -> dict[str, Erasure]:
    return {row.customer_id: row for row in AdminStore(engine).list_erasures(pending_only=True)}
