"""Push: the activity outbox -> CRM Tasks, exactly once.

record (platform -> outbox) ... select pending -> map (pure) -> upsert up to 200 per CRM call
-> mark that batch's results in one transaction -> record the run.

Exactly once comes from the upsert on the activity's UUID in the customer's external-id
field, not from the outbox: a crash after the CRM call but before the batch is marked
leaves those activities pending, and the next push upserts the same external ids, which
updates the same Tasks instead of creating new ones.

A push under a lease passes its fencing token: each batch's results and the run's counters
commit only while that token is current. A push whose lease expired and was taken by another
worker (it stalled past the time to live) stops with LeaseLost at its next write and marks
nothing; what it sent stays pending, and the newer holder's upsert updates the same Tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from connector.crm.base import CrmAdapter
from connector.errors import ConnectorError, CrmRateLimited, LeaseLost
from connector.fieldmap import FieldMap
from connector.logs import bind
from connector.privacy.keys import customer_cipher, decrypt_activities, seal_activity
from connector.redaction import scrub_contacts
from connector.store.activities import MarkOutcome, RecordResult
from connector.store.models import SyncRun, utcnow
from connector.store.tenant import TenantStore
from connector.sync.activities import ActivityIn, to_task_record
from connector.sync.screen import SuppressionCheck

log = logging.getLogger(__name__)

#: Records per CRM call: the sObject Collections limit.
BATCH_SIZE = 200

BatchCallback = Callable[[MarkOutcome], None]


def record_activities(
    store: TenantStore,
    activities: Iterable[ActivityIn],
    suppressed: SuppressionCheck | None = None,
) -> RecordResult:
    """Queue activities for write-back (all in one transaction).

    Identical content again is a no-op; changed content updates a pending activity, or puts
    a pushed or parked one back to pending so the next push updates its Task. Activities
    about a forgotten person (`suppressed` matches their CRM id) are dropped, never stored.
    Free text (the subject) is stored encrypted with the customer's data key. Raises
    StoreError when the store refuses, SecretError when the key ring does not fit.
    """
    keep: list[ActivityIn] = []
    dropped = 0
    for activity in activities:
        if suppressed is not None and suppressed(activity.prospect_crm_id, {}):
            dropped += 1
        else:
            keep.append(activity)
    cipher = customer_cipher(store, create=bool(keep))
    result = store.record_activities(
        seal_activity(cipher, activity.store_fields()) for activity in keep
    )
    return replace(result, suppressed=dropped)


def plan_push(
    fm: FieldMap, store: TenantStore, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """The Task records the next push would send, without sending anything (dry run)."""
    return preview_push(fm, store, limit=limit).records


@dataclass(frozen=True)
class PushPreview:
    """What the next push would send: how many records, and the first of them."""

    total: int
    records: list[dict[str, Any]]


def preview_push(
    fm: FieldMap, store: TenantStore, *, limit: int | None = None, sample: int | None = None
) -> PushPreview:
    """How many Task records the next push (at most `limit`) would send, and the first
    `sample` of them (every one when `sample` is None); nothing is sent."""
    ids = store.pending_activity_ids(limit)
    shown = ids if sample is None else ids[:sample]
    records = [
        to_task_record(fm.activities, a)
        for a in decrypt_activities(store, store.load_pending(shown))
    ]
    return PushPreview(total=len(ids), records=records)


def push(
    fm: FieldMap,
    store: TenantStore,
    crm: CrmAdapter,
    *,
    limit: int | None = None,
    trigger: str = "manual",
    on_batch: BatchCallback | None = None,
    fence: int | None = None,
) -> SyncRun:
    """Upsert pending activities (at most `limit`) as Tasks; returns the finished run.

    With `fence` (the lease's fencing token) every mark and run update commits only while the
    lease is still this worker's; once it was taken over the push raises LeaseLost, having
    marked nothing more, and books its own run as failed with that code.

    Per-record failures never stop the run: transient ones stay pending for the next push,
    permanent ones are parked with the CRM's code and message. A whole-call failure leaves
    its batch pending, ends the run ("stopped" when rate limited, else "failed") and is
    re-raised after being recorded on the run, as `pull` does: CrmTransient, CrmRateLimited,
    CrmRejected, AuthError or StoreError.
    """
    store.ensure_customer()
    run = store.start_run("push", trigger=trigger)
    bind(customer=fm.customer, run_id=run.run_id)
    base_calls = crm.counter.calls
    try:
        pending = store.pending_activity_ids(limit)
        log.info("customer %s: %d activities to push", fm.customer, len(pending))
        for start in range(0, len(pending), BATCH_SIZE):
            outcome = _push_batch(fm, store, crm, pending[start : start + BATCH_SIZE], fence)
            run.activities_pushed += outcome.pushed
            run.activities_failed += outcome.failed
            _stamp(run, crm, base_calls)
            store.save_run(run, fence)
            if on_batch is not None:
                on_batch(outcome)
    except ConnectorError as exc:
        run.status = "stopped" if isinstance(exc, CrmRateLimited) else "failed"
        run.error_code = (getattr(exc, "code", None) or type(exc).__name__)[:64]
        run.error = scrub_contacts(str(exc))
        raise
    else:
        run.status = "succeeded"
    finally:
        run.finished_at = utcnow()
        _stamp(run, crm, base_calls)
        _book(store, run, fence)
    return run


def _book(store: TenantStore, run: SyncRun, fence: int | None) -> None:
    """Save the finished run under the fence. The run is this push's own row, so a lease
    found lost here still books the run, as failed, before LeaseLost is raised."""
    try:
        store.save_run(run, fence)
    except LeaseLost as exc:
        run.status, run.error_code, run.error = "failed", "LeaseLost", str(exc)
        store.save_run(run)
        raise


def _push_batch(
    fm: FieldMap,
    store: TenantStore,
    crm: CrmAdapter,
    activity_ids: list[str],
    fence: int | None,
) -> MarkOutcome:
    """One CRM call for up to 200 activities, then their results in one transaction.

    Under a lease, nothing is sent once it is known to be lost, and the results are marked
    only while it still holds (LeaseLost otherwise).
    """
    if fence is not None:
        store.check_fence(fence)
    batch = decrypt_activities(store, store.load_pending(activity_ids))
    if not batch:
        return MarkOutcome()
    spec = fm.activities
    records = [to_task_record(spec, activity) for activity in batch]
    results = crm.upsert_activities(spec.object, spec.external_id_field, records)
    outcome = store.mark_push_results(batch, results, fence)
    log.info(
        "customer %s: batch of %d: %d pushed (%d new), %d parked, %d to retry, %d left pending",
        fm.customer,
        len(batch),
        outcome.pushed,
        outcome.created,
        outcome.failed,
        outcome.retry,
        outcome.skipped,
    )
    return outcome


def _stamp(run: SyncRun, crm: CrmAdapter, base_calls: int) -> None:
    run.api_calls = crm.counter.calls - base_calls
    if crm.counter.usage is not None:
        run.api_used, run.api_limit = crm.counter.usage.used, crm.counter.usage.limit
