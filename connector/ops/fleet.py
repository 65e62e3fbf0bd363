"""Gather every customer's status from the store (the I/O half of `connector.ops`).

Customers are those with a field map or with rows in the store. Each customer is read through
its own `TenantStore`; only the erasure records and the list of customer ids are read across
customers, through `AdminStore`. Raises StoreError when the database fails.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import Engine

from connector.errors import ConfigError
from connector.fieldmap.loader import available_customers
from connector.ops.metrics import CustomerFigures
from connector.ops.status import ApiUsage, CustomerStatus, RunSummary, derive_state, sort_by_trouble
from connector.store.admin import AdminStore, as_utc
from connector.store.base import check_customer_id
from connector.store.models import Erasure, SyncRun
from connector.store.tenant import TenantStore

#: Runs shown by `connector status CUSTOMER` and `GET /api/customers/{c}`.
RECENT_RUNS = 10


def known_customers(engine: Engine, field_maps_dir: Path) -> list[str]:
    """Every customer with a field map or with rows in the store, sorted."""
    return sorted(set(available_customers(field_maps_dir)) | set(AdminStore(engine).customer_ids()))


def require_known_customer(engine: Engine, field_maps_dir: Path, customer: str) -> None:
    """Refuse a customer with neither a field map nor rows, suggesting a close name.

    Raises PartitionViolation for a malformed id and ConfigError for an unknown one.
    """
    check_customer_id(customer)
    known = known_customers(engine, field_maps_dir)
    if customer in known:
        return
    close = difflib.get_close_matches(customer, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known) or 'none'})"
    raise ConfigError(f"no customer {customer!r}: no field map and nothing stored{hint}")


def load_fleet(
    engine: Engine, field_maps_dir: Path, *, budget_share: float
) -> list[CustomerStatus]:
    """The status of every known customer, trouble first."""
    erasures = _pending_erasures(engine)
    statuses = [
        load_status(TenantStore(engine, c), erasures.get(c), budget_share=budget_share)
        for c in known_customers(engine, field_maps_dir)
    ]
    return sort_by_trouble(statuses)


def load_customer(
    engine: Engine, customer: str, *, budget_share: float, runs: int = RECENT_RUNS
) -> CustomerStatus:
    """One customer's status in depth (its last `runs` runs included)."""
    erasure = _pending_erasures(engine).get(customer)
    return load_status(TenantStore(engine, customer), erasure, budget_share=budget_share, runs=runs)


def load_status(
    store: TenantStore, erasure: Erasure | None, *, budget_share: float, runs: int = 1
) -> CustomerStatus:
    """The status of the customer `store` is bound to."""
    customer = store.get_customer()
    schedule = store.schedule_state()
    stored = store.list_runs(limit=max(runs, RECENT_RUNS))
    recent = [summarize_run(run) for run in stored]
    last_pull = next((run for run in recent if run.kind == "pull"), None)
    paused_by, paused_at = None, None
    if customer is not None and customer.status == "paused" and erasure is None:
        event = store.last_audit_event("pause")
        if event is not None:
            paused_by, paused_at = event.actor, as_utc(event.at)
    counts = store.activity_counts()
    return CustomerStatus(
        customer_id=store.customer_id,
        state=derive_state(
            customer.status if customer else None,
            consecutive_failures=schedule.consecutive_failures,
            erasure_pending=erasure is not None,
        ),
        reason=customer.status_reason if customer else None,
        paused_by=paused_by,
        paused_at=paused_at,
        connected=store.get_connection() is not None,
        next_due_at=schedule.next_due_at,
        consecutive_failures=schedule.consecutive_failures,
        last_run=recent[0] if recent else None,
        last_pull=last_pull,
        api=_api_usage(stored, budget_share),
        pending_activities=counts.get("pending", 0),
        parked_activities=counts.get("failed", 0),
        pending_resyncs=schedule.pending_resyncs,
        erasure_due_at=as_utc(erasure.due_at) if erasure is not None else None,
        recent_runs=tuple(recent[:runs]),
    )


def load_figures(
    engine: Engine, field_maps_dir: Path, *, budget_share: float
) -> list[CustomerFigures]:
    """Every customer's status with its run counts and last successes (for the metrics)."""
    erasures = _pending_erasures(engine)
    figures = []
    for customer in known_customers(engine, field_maps_dir):
        store = TenantStore(engine, customer)
        status = load_status(
            store, erasures.get(customer), budget_share=budget_share, runs=RECENT_RUNS
        )
        last = {kind: store.last_finished_at(kind) for kind in ("pull", "push")}
        figures.append(
            CustomerFigures(
                status=status,
                run_counts=store.run_counts(),
                last_success={k: as_utc(v) if v else None for k, v in last.items()},
            )
        )
    return figures


def summarize_run(run: SyncRun) -> RunSummary:
    """The operator's view of a stored run (counts and codes, never messages)."""
    return RunSummary(
        run_id=run.run_id,
        kind=run.kind,
        trigger=run.trigger,
        status=run.status,
        started_at=as_utc(run.started_at),
        finished_at=as_utc(run.finished_at) if run.finished_at else None,
        rows_read=run.rows_read,
        prospects_written=run.prospects_written,
        rejected=run.rejected,
        activities_pushed=run.activities_pushed,
        activities_failed=run.activities_failed,
        api_calls=run.api_calls,
        error_code=run.error_code,
    )


def _api_usage(runs: Iterable[SyncRun], budget_share: float) -> ApiUsage:
    seen = next((run for run in runs if run.api_used is not None), None)
    if seen is None:
        return ApiUsage(used=None, limit=None, budget_share=budget_share)
    return ApiUsage(used=seen.api_used, limit=seen.api_limit, budget_share=budget_share)


def _pending_erasures(engine: Engine) -> dict[str, Erasure]:
    return {row.customer_id: row for row in AdminStore(engine).list_erasures(pending_only=True)}
