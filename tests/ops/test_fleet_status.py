"""The fleet read from a real store (SQLite and PostgreSQL): states, runs, backlog, pause."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from connector.errors import ConfigError
from connector.ops.fleet import load_customer, load_figures, load_fleet, require_known_customer
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
    with pytest.raises(ConfigError, match="unknown customer 'zzzz'"):
        require_known_customer(engine, maps, "zzzz")


def test_the_cli_and_the_fleet_share_one_known_customer_check(
    engine: Engine, maps: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`require_customer` (every CLI command) refuses exactly as `require_known_customer`."""
    from connector.cli.common import require_customer
    from connector.config import get_settings

    monkeypatch.setenv("CONNECTOR_FIELD_MAPS_DIR", str(maps))
    get_settings.cache_clear()
    connected(engine, "acme")
    for name in ("acme", "newco"):
        require_customer(name, engine=engine)
        require_known_customer(engine, maps, name)
    messages = []
    for check in (
        lambda: require_customer("acme2", engine=engine),
        lambda: require_known_customer(engine, maps, "acme2"),
    ):
        with pytest.raises(ConfigError) as caught:
            check()
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and "did you mean 'acme'" in messages[0]
    with pytest.raises(ConfigError, match="example"):
        require_customer("example", engine=engine)  # the template names no customer


def test_an_erased_customer_is_refused_as_erased_not_as_unknown(engine: Engine, maps: Path) -> None:
    connected(engine, "gone")
    admin = AdminStore(engine)
    admin.save_erasure_request("gone", due_at=NOW, requested_by="cli:dpo", requested_at=NOW)
    admin.erase_partition("gone", done_at=NOW)

    with pytest.raises(ConfigError, match=r"'gone' was erased on .*onboard again under a new id"):
        require_known_customer(engine, maps, "gone")


def count_statements(engine: Engine, action: Callable[[], object]) -> int:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def test_the_metrics_read_costs_the_same_statements_for_one_customer_or_many(
    engine: Engine, maps: Path
) -> None:
    def figures() -> object:
        return load_figures(engine, maps, budget_share=0.8)

    acme = connected(engine, "acme")
    finished_run(acme, "pull", "succeeded", rows_read=5)
    figures()  # the first read may warm the pool
    one = count_statements(engine, figures)
    for n in range(6):
        store = connected(engine, f"c{n}")
        finished_run(store, "pull", "succeeded", rows_read=n)
        finished_run(store, "push", "failed")
        pause_customer(store, AdminStore(engine), actor="cli:ops", reason="why")
    many = count_statements(engine, figures)

    assert one == many
    assert many <= 8
    got = {item.status.customer_id: item for item in figures()}
    assert set(got) == {"acme", "newco", *(f"c{n}" for n in range(6))}
    assert got["c3"].run_counts == {("pull", "succeeded"): 1, ("push", "failed"): 1}
    assert got["c3"].status.last_pull is not None and got["c3"].status.last_pull.rows_read == 3
    assert got["c3"].status.paused_by == "cli:ops" and got["c3"].status.state == "paused"
    assert got["c3"].last_success["pull"] is not None and got["c3"].last_success["push"] is None


def test_the_report_run_budget_is_the_last_run_that_read_it(engine: Engine) -> None:
    store = connected(engine, "acme")
    finished_run(store, "pull", "succeeded", report_runs_remaining=380, report_runs_max=500)
    finished_run(store, "push", "succeeded")  # a push reads no report-run counters

    status = load_customer(engine, "acme", budget_share=0.8)

    assert status.report_runs is not None
    assert (status.report_runs.used, status.report_runs.remaining) == (120, 380)
    got = status.to_json()["report_runs"]
    assert {k: got[k] for k in ("used", "left", "limit")} == {
        "used": 120,
        "left": 380,
        "limit": 500,
    }
    assert load_customer(engine, "newco", budget_share=0.8).report_runs is None
