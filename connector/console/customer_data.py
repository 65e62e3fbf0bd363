"""Read what the customer page shows, from the store (the I/O half of the page).

Everything is read through the customer's own `TenantStore`. Nothing personal is returned:
runs carry counts and codes, rejected rows their CRM id and the rule that refused them,
parked activities their id, kind, attempts and the CRM's error code (never the subject or the
CRM's message), resync requests their source and times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from connector.errors import ConnectorError
from connector.fieldmap.loader import load_field_map
from connector.ops.fleet import load_customer
from connector.ops.status import CustomerStatus
from connector.store.admin import as_utc
from connector.store.tenant import TenantStore

#: Runs, rejected rows, parked activities and resync requests shown on the page.
RUNS_SHOWN = 20
REJECTS_SHOWN = 50
PARKED_SHOWN = 50
RESYNCS_SHOWN = 10


@dataclass(frozen=True)
class ConnectionView:
    """How the customer is connected to the CRM (no credential)."""

    organization_id: str | None
    username: str | None
    flow: str
    login_url: str
    connected_at: datetime


@dataclass(frozen=True)
class RejectView:
    crm_id: str
    report_id: str
    rule: str


@dataclass(frozen=True)
class ParkedView:
    activity_id: str
    kind: str
    attempts: int
    error_code: str | None
    created_at: datetime


@dataclass(frozen=True)
class ResyncView:
    request_id: str
    source: str
    requested_at: datetime
    status: str
    handled_at: datetime | None


@dataclass(frozen=True)
class CustomerView:
    """The customer page's data."""

    status: CustomerStatus
    connection: ConnectionView | None
    schedule: str
    last_run_at: datetime | None
    rejects: tuple[RejectView, ...]
    rejects_run_id: str | None
    parked: tuple[ParkedView, ...]
    resyncs: tuple[ResyncView, ...]
    running: bool


def schedule_text(customer: str, field_maps_dir: Path) -> str:
    """The field map's schedule in words (or why it cannot be read)."""
    try:
        spec = load_field_map(customer, field_maps_dir).schedule
    except ConnectorError:
        return "no readable field map"
    if spec.cron is not None:
        rule = f"cron {spec.cron} (UTC)"
    else:
        assert spec.every is not None
        rule = f"every {int(spec.every.total_seconds() // 60)} min"
    jitter = int(spec.jitter.total_seconds())
    return f"{rule}, jitter up to {jitter} s" if jitter else rule


def load_customer_view(
    engine: Engine, customer: str, field_maps_dir: Path, *, budget_share: float
) -> CustomerView:
    """Everything the customer page shows. Raises StoreError when the store fails."""
    store = TenantStore(engine, customer)
    status = load_customer(engine, customer, budget_share=budget_share, runs=RUNS_SHOWN)
    connection = store.get_connection()
    pull = status.last_pull
    rejects = store.rejected_rows(pull.run_id)[:REJECTS_SHOWN] if pull else []
    return CustomerView(
        status=status,
        connection=(
            ConnectionView(
                organization_id=connection.organization_id,
                username=connection.username,
                flow="JWT bearer" if connection.auth == "jwt" else "web server (browser consent)",
                login_url=connection.login_url,
                connected_at=as_utc(connection.connected_at),
            )
            if connection is not None
            else None
        ),
        schedule=schedule_text(customer, field_maps_dir),
        last_run_at=store.schedule_state().last_run_at,
        rejects=tuple(RejectView(r.crm_id, r.report_id, r.reason) for r in rejects),
        rejects_run_id=pull.run_id if pull else None,
        parked=tuple(
            ParkedView(a.activity_id, a.kind, a.attempts, a.error_code, as_utc(a.created_at))
            for a in store.failed_activities(limit=PARKED_SHOWN)
        ),
        resyncs=tuple(
            ResyncView(
                r.request_id,
                r.source,
                as_utc(r.requested_at),
                r.status,
                as_utc(r.handled_at) if r.handled_at else None,
            )
            for r in store.recent_resyncs(RESYNCS_SHOWN)
        ),
        running=any(run.status == "running" for run in status.recent_runs),
    )
