"""Retention: activity metadata is kept for a limited time (default 365 days), then deleted.

`CONNECTOR_ACTIVITY_RETENTION_DAYS` sets the age. Only activities (call and email metadata)
age out; prospects live as long as the CRM's call lists hold them, and leave with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from connector.privacy.audit import build_audit_event
from connector.privacy.settings import PrivacySettings
from connector.store.admin import AdminStore, as_utc
from connector.store.models import utcnow
from connector.store.tenant import TenantStore


def purge_old_activities(
    store: TenantStore,
    older_than: timedelta,
    *,
    now: datetime | None = None,
    actor: str = "scheduler",
) -> int:
    """Delete the customer's activities that occurred more than `older_than` ago; returns how many.

    Records a `retention` audit event in the same transaction. Raises StoreError.
    """
    cutoff = as_utc(now or utcnow()) - older_than
    audit = build_audit_event(
        store.customer_id, actor, "retention", {"older_than_days": older_than.days}
    )
    return store.delete_activities_before(cutoff, audit)


def run_retention(
    engine: Engine,
    customers: Sequence[str] | None = None,
    *,
    actor: str = "scheduler",
    now: datetime | None = None,
) -> dict[str, int]:
    """Apply the configured retention to `customers` (default: every customer); deleted counts.

    Listing every customer reads across partitions (see `store.admin`). Raises StoreError.
    """
    age = PrivacySettings().activity_retention
    ids = list(customers) if customers else AdminStore(engine).customer_ids()
    return {
        customer: purge_old_activities(TenantStore(engine, customer), age, now=now, actor=actor)
        for customer in ids
    }
