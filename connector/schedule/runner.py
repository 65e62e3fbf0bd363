"""The scheduler loop: each pass plans who is due and hands them to the executor.

A pass (1) runs due offboarding erasures and due activity retention (each on its own clock)
when the privacy package offers them, (2) lists
the connected customers that have a field map, (3) keeps those `due.due_reason` says are
due, (4) submits one job each, and (5) runs the daily online column checks that are due
(`column_check`). Plans are only hints: the job re-checks under the lease,
so two schedulers (or a scheduler and a redelivered task) never run a customer twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sized
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from connector.config import Settings
from connector.errors import ConnectorError
from connector.fieldmap.loader import available_customers
from connector.schedule.column_check import run_due_column_checks
from connector.schedule.due import ResyncPolicy, due_reason
from connector.schedule.executor import Executor, Job
from connector.schedule.jobs import Outcome
from connector.schedule.metrics import ProcessMetrics
from connector.store.models import utcnow
from connector.store.resync import scheduled_customers

log = logging.getLogger(__name__)
ColumnChecks = Callable[[Engine, Settings, datetime], Sized]


@dataclass
class PassReport:
    """What one pass found due and what came of it (inline) or was enqueued (Celery)."""

    started_at: datetime
    due: list[Job] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    erasures: int = 0
    alerts: int = 0
    retention: int = 0
    column_checks: int = 0


def erasure_hook() -> Callable[..., list[Any]] | None:
    """`run_due_erasures(engine, now)` from the privacy package, or None where it is absent."""
    try:
        from connector.privacy import erase
    except ImportError:
        return None
    return getattr(erase, "run_due_erasures", None)


def retention_hook() -> Callable[..., dict[str, int]] | None:
    """`run_due_retention(engine, now)` from the privacy package, or None where it is absent."""
    try:
        from connector.privacy import retention
    except ImportError:
        return None
    return getattr(retention, "run_due_retention", None)


def plan_pass(engine: Engine, settings: Settings, now: datetime) -> list[Job]:
    """The connected customers with a field map that are due at `now`, with the reason."""
    mapped = set(available_customers(settings.field_maps_dir))
    policy = ResyncPolicy.of(settings)
    return [
        Job(state.customer_id, reason)
        for state in scheduled_customers(engine, now)
        if state.customer_id in mapped and (reason := due_reason(state, now, policy)) is not None
    ]


def run_pass(
    engine: Engine,
    settings: Settings,
    executor: Executor,
    now: datetime | None = None,
    alerts: Callable[[], Sized] | None = None,
    column_checks: ColumnChecks | None = run_due_column_checks,
) -> PassReport:
    """One scheduler pass. A customer's failure never stops the others.

    `column_checks` runs each customer's daily online column check after the jobs and before
    the alerts, so a mismatch it finds is announced in the same pass.

    `alerts`, when given, runs after the jobs (it announces incidents that opened or cleared);
    its failure is logged and never stops the pass. Raises StoreError when the store cannot be
    read at all.
    """
    report = PassReport(started_at=now or utcnow())
    erasures = erasure_hook()
    if erasures is not None:
        report.erasures = len(erasures(engine, report.started_at))
    retention = retention_hook()
    if retention is not None:
        report.retention = len(retention(engine, report.started_at))
    report.due = plan_pass(engine, settings, report.started_at)
    for job in report.due:
        try:
            outcome = executor.submit(job)
        except ConnectorError as exc:
            log.error("customer %s: job not run: %s", job.customer_id, type(exc).__name__)
            continue
        if outcome is not None:
            report.outcomes.append(outcome)
    if column_checks is not None:
        try:
            report.column_checks = len(column_checks(engine, settings, report.started_at))
        except ConnectorError as exc:
            log.error("column checks not run this pass: %s", type(exc).__name__)
    if alerts is not None:
        try:
            report.alerts = len(alerts())
        except Exception as exc:  # an alert channel's trouble must not stop the syncs
            log.error("alerts not sent this pass: %s", type(exc).__name__)
    return report


def run_loop(
    engine: Engine,
    settings: Settings,
    executor: Executor,
    *,
    interval: float,
    once: bool = False,
    stop: threading.Event | None = None,
    on_pass: Callable[[PassReport], None] | None = None,
    alerts: Callable[[], Sized] | None = None,
    metrics: ProcessMetrics | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> None:
    """Run passes every `interval` seconds until `stop` is set (or once); `metrics` counts
    them and times them with `clock`."""
    stop = stop or threading.Event()
    while True:
        started = clock()
        try:
            report = run_pass(engine, settings, executor, alerts=alerts)
        except ConnectorError as exc:
            if metrics is not None:
                metrics.observe_failed_pass(clock() - started)
            if once:
                raise
            log.error("scheduler pass failed: %s", exc)
        else:
            if metrics is not None:
                metrics.observe_pass(report, clock() - started)
            if on_pass is not None:
                on_pass(report)
        if once or stop.wait(interval):
            return
