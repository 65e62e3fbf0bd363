"""Offboarding (GDPR art. 17 and 28(3)(g)): erase a customer's whole partition on time.

An erasure is requested with a due date no later than ten days after the request (a later
one is refused: that is our promise to customers). Until it runs the customer is paused, so
no sync adds data. When due, the customer's data key is destroyed first (`privacy.keys`), so
its encrypted fields become unreadable everywhere at once; then the CRM tokens are revoked
(best effort: a failure is logged and returned, never blocking), every row of the customer
in every tenant table is deleted in one transaction, and only the minimal `Erasure` record
remains (who asked, when it was due, when it was done, how many rows). The store is then
compacted (`store.compact`) so the deleted rows leave the database files where the engine
allows it. `run_due_erasures` is what the scheduler calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.engine import Engine

from connector.errors import ConfigError, ConnectorError, StoreError
from connector.privacy.audit import record_audit
from connector.privacy.keys import destroy_data_key
from connector.privacy.revoke import Revoker, revoke_crm_tokens
from connector.privacy.settings import MAX_ERASURE_DELAY
from connector.store.admin import AdminStore, as_utc
from connector.store.compact import compact_store
from connector.store.models import Erasure, utcnow
from connector.store.tenant import TenantStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasureOutcome:
    """What one erasure did. `error` is set when the deletion itself failed (it is retried)."""

    customer_id: str
    rows_deleted: int
    tables: dict[str, int]
    revoke_error: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class PendingErasure:
    """A requested erasure not done yet; `overdue` once its due time has passed."""

    customer_id: str
    requested_at: datetime
    due_at: datetime
    requested_by: str
    overdue: bool


def due_time(on: date | datetime | None, now: datetime) -> datetime:
    """When an erasure requested at `now` for `on` is due (UTC); a date means its midnight UTC.

    No date, or one in the past, means now. Raises ConfigError when it is more than ten days
    after `now`.
    """
    if on is None:
        return now
    if not isinstance(on, datetime):
        on = datetime.combine(on, time.min, tzinfo=UTC)
    due = as_utc(on)
    if due > now + MAX_ERASURE_DELAY:
        latest = (now + MAX_ERASURE_DELAY).strftime("%Y-%m-%d %H:%M UTC")
        raise ConfigError(
            f"an erasure must happen within {MAX_ERASURE_DELAY.days} days of the request: "
            f"choose a date no later than {latest}"
        )
    return max(due, now)


#: How long an erasure holds the customer's lease (the partition is deleted well within it).
ERASURE_LEASE = timedelta(minutes=10)


def request_erasure(
    engine: Engine,
    customer_id: str,
    actor: str,
    on: date | datetime | None = None,
    now: datetime | None = None,
) -> Erasure:
    """Record an erasure request for `customer_id`, due `on` (default now); pause its syncs.

    Returns the stored record (an earlier pending deadline is kept). Raises ConfigError for a
    date more than ten days ahead, StoreError when the store fails.
    """
    now = as_utc(now or utcnow())
    due = due_time(on, now)
    record = AdminStore(engine).save_erasure_request(
        customer_id, due_at=due, requested_by=actor, requested_at=now
    )
    store = TenantStore(engine, customer_id)
    store.set_customer_status("paused", f"erasure due {as_utc(record.due_at):%Y-%m-%d %H:%M} UTC")
    record_audit(store, actor, "erase_requested", {"due_at": as_utc(record.due_at).isoformat()})
    return record


def erase_customer(
    engine: Engine, customer_id: str, now: datetime | None = None, revoke: Revoker | None = None
) -> ErasureOutcome:
    """Run the requested erasure of `customer_id` now: revoke tokens, delete the partition.

    Raises StoreError when no erasure was requested or the deletion fails (nothing is then
    deleted); a failed revocation is only reported in the outcome.
    """
    revoke = revoke or revoke_crm_tokens
    store = TenantStore(engine, customer_id)
    # every sync and push holds the customer's lease: taking it means none is running, and
    # none can start until the partition (lease row included) is gone
    if store.acquire_lease("erasure", ERASURE_LEASE) is None:
        raise StoreError(
            "a sync or push of this customer is running; the erasure runs when it has finished",
            customer=customer_id,
        )
    # the data key goes first, in its own commit: from here on nothing of the customer
    # decrypts, wherever a copy survives (WAL, free pages, backups), even if what follows fails
    destroy_data_key(store)
    revoke_error = revoke(engine, customer_id)
    tables = AdminStore(engine).erase_partition(
        customer_id, done_at=as_utc(now or utcnow()), revoke_error=revoke_error
    )
    total = sum(tables.values())
    compact_store(engine)
    log.info("customer %s: erased (%d rows)", customer_id, total)
    if revoke_error:
        log.warning("customer %s: erased, but token revocation failed", customer_id)
    return ErasureOutcome(customer_id, total, tables, revoke_error)


def pending_erasures(engine: Engine, now: datetime | None = None) -> list[PendingErasure]:
    """Requested erasures not yet done, by deadline, each flagged when overdue."""
    now = as_utc(now or utcnow())
    return [
        PendingErasure(
            row.customer_id,
            as_utc(row.requested_at),
            as_utc(row.due_at),
            row.requested_by,
            overdue=as_utc(row.due_at) < now,
        )
        for row in AdminStore(engine).list_erasures(pending_only=True)
    ]


def run_due_erasures(
    engine: Engine,
    now: datetime | None = None,
    revoke: Revoker | None = None,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[ErasureOutcome], None] | None = None,
) -> list[ErasureOutcome]:
    """Run every requested erasure whose due time has come; one outcome per customer.

    A customer whose erasure fails is reported (`error`) and stays pending for the next run;
    the others go ahead. `on_start` is told how many are due and `on_done` each outcome (for
    progress).
    """
    now = as_utc(now or utcnow())
    due = [pending for pending in pending_erasures(engine, now) if pending.due_at <= now]
    if on_start is not None:
        on_start(len(due))
    outcomes: list[ErasureOutcome] = []
    for pending in due:
        try:
            outcomes.append(erase_customer(engine, pending.customer_id, now, revoke))
        except ConnectorError as exc:
            log.error("customer %s: erasure failed: %s", pending.customer_id, exc)
            outcomes.append(ErasureOutcome(pending.customer_id, 0, {}, error=str(exc)))
        if on_done is not None:
            on_done(outcomes[-1])
    return outcomes
