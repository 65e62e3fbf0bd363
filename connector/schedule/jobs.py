"""One customer's sync job: under its lease, if still due, pull then push, then book it.

Every executor runs this same function (inline in the scheduler, or in a Celery worker), so
invariant 7 holds whoever runs it: the lease makes runs of one customer serial, and the
"still due?" check made *under* the lease makes a duplicate job (two schedulers planning the
same customer, a broker redelivering a task) a no-op instead of a second run.

A resync runs a full pull (`trigger="resync"`); a scheduled run resumes or starts an
incremental one (`trigger="schedule"`). Push follows when the outbox holds something, and
also after a failed pull unless the failure was about credentials or the API allowance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.engine import Engine

from connector.config import Settings
from connector.crm.base import CrmAdapter, ReportRef
from connector.errors import AuthError, ConfigError, ConnectorError, CrmError, CrmRateLimited
from connector.fieldmap import FieldMap, load_field_map
from connector.logs import log_context
from connector.privacy.audit import record_audit
from connector.runtime import connect_crm, suppression_check
from connector.schedule.due import (
    Reason,
    ResyncPolicy,
    Rule,
    due_reason,
    next_due,
    next_due_after_failure,
)
from connector.schedule.leases import HeldLease, hold_lease
from connector.store.leases import LeaseLost
from connector.store.models import SyncRun, utcnow
from connector.store.tenant import TenantStore
from connector.sync.pull import PullOptions, pull

log = logging.getLogger(__name__)

Status = Literal["succeeded", "failed", "busy", "not_due", "lost"]
PushJob = Callable[..., SyncRun]


@dataclass
class Outcome:
    """What a job did for one customer (no personal data: ids, counts and error codes)."""

    customer_id: str
    status: Status
    reason: Reason | None = None
    run_ids: list[str] = field(default_factory=list)
    error_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "status": self.status,
            "reason": self.reason,
            "run_ids": list(self.run_ids),
            "error_code": self.error_code,
        }


class FencedObserver:
    """Stops a pull at its next report or page once the lease is lost (raises LeaseLost)."""

    def __init__(self, lease: HeldLease) -> None:
        self.lease = lease

    def report_started(self, report: ReportRef, index: int, count: int) -> None:
        self.lease.check()

    def page_saved(self, report: ReportRef, rows_read: int, total: int | None) -> None:
        self.lease.check()

    def report_finished(self, report: ReportRef, members: int) -> None:
        self.lease.check()


def push_job() -> PushJob | None:
    """The push job (`connector.sync.push.push`), or None where it is not installed."""
    try:
        from connector.sync.push import push
    except ImportError:
        return None
    return push


def run_job(
    engine: Engine,
    settings: Settings,
    customer_id: str,
    *,
    ttl: timedelta | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Outcome:
    """Sync one customer if it is due, under its lease; never two at once per customer.

    `ttl` is the lease's time to live (default CONNECTOR_LEASE_TTL). Returns the outcome;
    sync failures are recorded (on the run and in the schedule state with back-off), not
    raised. Raises StoreError only when the store itself fails.
    """
    store = TenantStore(engine, customer_id)
    with log_context(customer=customer_id, job="scheduled_sync"), hold_lease(store, ttl) as lease:
        if lease is None:
            return Outcome(customer_id, "busy")
        now = clock()
        reason = due_reason(store.schedule_state(now), now, ResyncPolicy.of(settings))
        if reason is None:
            return Outcome(customer_id, "not_due")
        try:
            outcome = _run_due(store, settings, lease, reason, clock)
        except LeaseLost:
            log.warning("customer %s: lease lost mid-run; stopped writing", customer_id)
            return Outcome(customer_id, "lost", reason)
        record_audit(
            store,
            "scheduler",
            "scheduled_sync",
            {"trigger": reason, "outcome": outcome.status, "error": outcome.error_code or ""},
        )
        return outcome


def _run_due(
    store: TenantStore,
    settings: Settings,
    lease: HeldLease,
    reason: Reason,
    clock: Callable[[], datetime],
) -> Outcome:
    started = clock()
    outcome = Outcome(store.customer_id, "succeeded", reason)
    request_ids = [r.request_id for r in store.pending_resyncs()] if reason == "resync" else []
    rule = Rule(every=timedelta(minutes=15))
    try:
        fm = load_field_map(store.customer_id, settings.field_maps_dir)
        rule = Rule.of(fm.schedule)
        _sync(fm, store, settings, lease, reason, outcome)
    except LeaseLost:
        raise
    except Exception as exc:  # a job's failure, whatever it is, is booked with back-off
        _log_failure(store.customer_id, exc)
        outcome.status, outcome.error_code = "failed", _code(exc)
        _book_failure(store, lease, rule, started, exc)
        return outcome
    store.finish_resyncs(request_ids, token=lease.token, now=started, requested_until=started)
    store.save_schedule_state(
        token=lease.token,
        next_due_at=next_due(rule, store.customer_id, started),
        last_run_at=started,
        consecutive_failures=0,
    )
    return outcome


def _book_failure(
    store: TenantStore, lease: HeldLease, rule: Rule, started: datetime, exc: Exception
) -> None:
    """One more consecutive failure; next due after the back-off (or the CRM's Retry-After)."""
    failures = store.schedule_state().consecutive_failures + 1
    retry = getattr(exc, "retry_after", None)
    store.save_schedule_state(
        token=lease.token,
        next_due_at=next_due_after_failure(
            rule, store.customer_id, started, failures, timedelta(seconds=retry) if retry else None
        ),
        last_run_at=started,
        consecutive_failures=failures,
    )


def _sync(
    fm: FieldMap,
    store: TenantStore,
    settings: Settings,
    lease: HeldLease,
    reason: Reason,
    outcome: Outcome,
) -> None:
    """Pull, then push; raises the first ConnectorError after trying what still makes sense."""
    crm = connect_crm(fm, store, settings)
    options = PullOptions(
        trigger=reason,
        full=reason == "resync",
        suppressed=suppression_check(store),
        observer=FencedObserver(lease),
        fence=lease.token,
    )
    failure: ConnectorError | None = None
    try:
        outcome.run_ids.append(pull(fm, store, crm, options).run_id)
    except ConnectorError as exc:
        _record_failed_run(store, outcome)
        if isinstance(exc, AuthError | CrmRateLimited | LeaseLost):
            raise
        failure = exc
    _push_if_pending(fm, store, crm, lease, reason, outcome)
    if failure is not None:
        raise failure


def _push_if_pending(
    fm: FieldMap,
    store: TenantStore,
    crm: CrmAdapter,
    lease: HeldLease,
    reason: Reason,
    outcome: Outcome,
) -> None:
    push = push_job()
    if push is None or not store.pending_activity_ids(limit=1):
        return
    lease.check()
    outcome.run_ids.append(push(fm, store, crm, trigger=reason, fence=lease.token).run_id)


def _record_failed_run(store: TenantStore, outcome: Outcome) -> None:
    runs = store.list_runs(1)
    if runs and runs[0].kind == "pull":
        outcome.run_ids.append(runs[0].run_id)


def _code(exc: Exception) -> str:
    code = getattr(exc, "code", None)
    return str(code) if code else type(exc).__name__


def _log_failure(customer_id: str, exc: Exception) -> None:
    """Log a failed job. CRM messages may quote record data, so only their code is logged."""
    if isinstance(exc, AuthError):
        log.warning("customer %s: skipped, reconnect needed: %s", customer_id, exc)
    elif isinstance(exc, ConfigError):
        log.error("customer %s: configuration problem: %s", customer_id, exc)
    elif isinstance(exc, CrmError):
        log.error("customer %s: sync failed: %s", customer_id, _code(exc))
    elif isinstance(exc, ConnectorError):
        log.error("customer %s: sync failed: %s", customer_id, type(exc).__name__)
    else:
        log.error("customer %s: sync crashed: %s", customer_id, type(exc).__name__)
        log.debug("customer %s: crash details", customer_id, exc_info=exc)
