"""Retention: activity metadata is kept for a limited time (default 365 days), then deleted.

`CONNECTOR_ACTIVITY_RETENTION_DAYS` sets the age. The scheduler applies it on its own clock
(`run_due_retention`): to each customer whose last `retention` audit event is older than
`CONNECTOR_RETENTION_EVERY_HOURS` (default 24), each run audited under actor `scheduler`.
Only activities (call and email metadata) age out; prospects live as long as the CRM's call
lists hold them, and leave with them. The same pass prunes the read API's removal log (CRM ids
of members that left a list) after `CONNECTOR_CHANGE_LOG_DAYS` (default 30).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from connector.privacy.audit import build_audit_event
from connector.privacy.settings import load_privacy_settings
from connector.store.admin import AdminStore, as_utc
from connector.store.models import utcnow
from connector.store.tenant import TenantStore


def purge_old_activities(
    store: TenantStore,
    older_than: timedelta,
    *,
    now: datetime | None = None,
    actor: str = "scheduler",
    change_log: timedelta | None = None,
) -> int:
    """Delete the customer's activities that occurred more than `older_than` ago; returns how many.

    With `change_log`, removals logged longer ago than that leave the change feed's log too.
    Records a `retention` audit event in the same transaction. Raises StoreError.
    """
    now = as_utc(now or utcnow())
    cutoff = now - older_than
    detail = {"older_than_days": older_than.days}
    if change_log is not None:
        detail["change_log_days"] = change_log.days
    audit = build_audit_event(store.customer_id, actor, "retention", detail)
    audit.at = now  # the run's own clock: when it is next due counts from here
    removals = now - change_log if change_log is not None else None
    return store.delete_activities_before(cutoff, audit, removals_before=removals)


def run_retention(
    engine: Engine,
    customers: Sequence[str] | None = None,
    *,
    actor: str = "scheduler",
    now: datetime | None = None,
    on_start: Callable[[int], None] | None = None,
    on_customer: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Apply the configured retention to `customers` (default: every customer); deleted counts.

    `on_start` is told how many customers there are and `on_customer` each one done (for
    progress). Listing every customer reads across partitions (see `store.admin`). Raises
    StoreError.
    """
    settings = load_privacy_settings()
    age = settings.activity_retention
    ids = list(customers) if customers else AdminStore(engine).customer_ids()
    if on_start is not None:
        on_start(len(ids))
    done: dict[str, int] = {}
    for customer in ids:
        store = TenantStore(engine, customer)
        done[customer] = purge_old_activities(
            store, age, now=now, actor=actor, change_log=settings.change_log
        )
        if on_customer is not None:
            on_customer(customer)
    return done


def run_due_retention(engine: Engine, now: datetime | None = None) -> dict[str, int]:
    """Apply retention to every customer whose last retention run is due; deleted counts.

    A customer is due when no `retention` event is in its audit trail, or the last one is
    older than the configured interval. Raises StoreError.
    """
    settings = load_privacy_settings()
    now = as_utc(now or utcnow())
    done: dict[str, int] = {}
    for customer in AdminStore(engine).customer_ids():
        store = TenantStore(engine, customer)
        last = store.last_audit_at("retention")
        if last is not None and as_utc(last) + settings.retention_every > now:
            continue
        done[customer] = purge_old_activities(
            store, settings.activity_retention, now=now, change_log=settings.change_log
        )
    return done
