"""The fleet read from a real store (SQLite and PostgreSQL): states, runs, backlog, pause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from connector.errors import ConfigError
from connector.ops.fleet import load_customer, load_fleet, require_known_customer
from connector.ops.pause import pause_customer, resume_customer
from connector.store import TenantStore
from connector.store.admin import AdminStore
from connector.store.models import Connection

NOW = datetime.now(UTC)


@pytest.fixture
def maps(tmp_path: Path) -> Path:
    """A field-map directory naming one customer that has nothing stored yet."""
    directory = tmp_path / "maps"
    directory.mkdir()
    (directory / "newco.yaml").write_text("customer: newco\n")
    (directory / "example.yaml").write_text("customer: example\n")
    return directory


def connected(engine: Engine, customer: str) -> TenantStore:
    store = TenantStore(engine, customer)
    store.save_connection(
        Connection(customer_id=customer, auth="jwt", login_url="https://login.salesforce.com")
    )
    store.ensure_customer()
    return store


def finished_run(store: TenantStore, kind: str, status: str, **counters: object) -> None:
    run = store.start_run(kind, trigger="schedule")
    run.status, run.finished_at = status, run.started_at + timedelta(seconds=30)
    for name, value in counters.items():
        setattr(run, name, value)
    store.save_run(run)


def test_every_customer_with_a_map_or_rows_is_listed_trouble_first(
    engine: Engine, maps: Path
) -> None:
    acme = connected(engine, "acme")
    finished_run(acme, "pull", "succeeded", rows_read=100, rejected=3, api_used=50, api_limit=1000)
    broken = connected(engine, "broken")
    broken.mark_reconnect_needed("invalid_grant: expired")
    quiet = connected(engine, "quiet")
    pause_customer(quiet, AdminStore(engine), actor="cli:ops", reason="customer asked")

    fleet = load_fleet(engine, maps, budget_share=0.8)

    assert [(s.customer_id, s.state) for s in fleet] == [
        ("broken", "reconnect_needed"),
        ("quiet", "paused"),
        ("acme", "active"),
        ("newco", "active"),
    ]
    by_id = {s.customer_id: s for s in fleet}
    assert by_id["acme"].rejected_last_run == 3
    assert by_id["acme"].api.share_of_limit == pytest.approx(0.05)
    assert by_id["acme"].last_run is not None and by_id["acme"].last_run.rows_read == 100
    assert by_id["newco"].connected is False and by_id["newco"].last_run is None
    assert by_id["quiet"].paused_by == "cli:ops" and by_id["quiet"].reason == "customer asked"


def test_one_customer_in_depth_shows_its_last_ten_runs_and_its_outbox(engine: Engine) -> None:
    store = connected(engine, "acme")
    for _ in range(12):
        finished_run(store, "push", "succeeded", activities_pushed=2)
    store.record_activities(
        [
            {
                "activity_id": "6f1c2a52-8d4e-4a0b-9a55-0a1b2c3d4e5f",
                "kind": "call",
                "prospect_crm_id": "003000000000001AAA",
                "occurred_at": NOW,
            }
        ]
    )

    status = load_customer(engine, "acme", budget_share=0.8)

    assert len(status.recent_runs) == 10
    assert status.pending_activities == 1 and status.parked_activities == 0
    assert status.to_json(detail=True)["activities"] == {"pending": 1, "parked": 0}


def test_a_pending_erasure_shows_as_erasing_and_cannot_be_resumed(engine: Engine) -> None:
    store = connected(engine, "acme")
    admin = AdminStore(engine)
    admin.save_erasure_request(
        "acme", due_at=NOW + timedelta(days=3), requested_by="cli:dpo", requested_at=NOW
    )
    store.set_customer_status("paused", "erasure due")

    assert load_customer(engine, "acme", budget_share=0.8).state == "erasing"
    with pytest.raises(ConfigError, match="erasure is pending"):
        resume_customer(store, admin, actor="cli:ops")
    with pytest.raises(ConfigError, match="erasure is pending"):
        pause_customer(store, admin, actor="cli:ops", reason="again")


def test_pause_and_resume_change_the_state_once_and_are_audited(engine: Engine) -> None:
    store = connected(engine, "acme")
    admin = AdminStore(engine)

    assert pause_customer(store, admin, actor="cli:ops", reason="  maintenance \n window ")
    assert not pause_customer(store, admin, actor="cli:ops", reason="again")
    customer = store.get_customer()
    assert customer is not None
    assert (customer.status, customer.status_reason) == ("paused", "maintenance window")
    assert store.schedule_state().status == "paused"

    assert resume_customer(store, admin, actor="cli:ops")
    assert not resume_customer(store, admin, actor="cli:ops")
    assert store.schedule_state().status == "active"
    actions = [(e.action, e.actor) for e in store.audit_events()]
    assert actions == [("resume", "cli:ops"), ("pause", "cli:ops")]


def test_a_pause_needs_a_reason(engine: Engine) -> None:
    with pytest.raises(ConfigError, match="--reason"):
        pause_customer(connected(engine, "acme"), AdminStore(engine), actor="x", reason="  ")


def test_an_unknown_customer_is_refused_with_a_suggestion(engine: Engine, maps: Path) -> None:
    connected(engine, "acme")
    require_known_customer(engine, maps, "acme")
    require_known_customer(engine, maps, "newco")
    with pytest.raises(ConfigError, match="did you mean 'acme'"):
        require_known_customer(engine, maps, "acme2")
    with pytest.raises(ConfigError, match="no customer 'zzzz'"):
        require_known_customer(engine, maps, "zzzz")
