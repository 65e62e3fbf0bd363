"""The scheduler's daily online column check, against the sandbox org and a real store."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from connector.config import get_settings
from connector.ops.alerts import incidents_of
from connector.ops.fleet import load_customer
from connector.ops.pause import pause_customer
from connector.schedule.column_check import run_due_column_checks
from connector.schedule.executor import InlineExecutor
from connector.schedule.runner import run_pass
from connector.store.admin import AdminStore
from tests.e2e.conftest import Customer, Sandbox
from tests.helpers.servers import REPO

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def describes(box: Sandbox) -> int:
    return sum(1 for e in box.org.request_log if "/describe" in e.path)


def test_each_customer_is_checked_once_a_day_on_its_own_clock(
    demo: Customer, box: Sandbox, sqlite_engine: Engine
) -> None:
    settings = get_settings()
    box.org.clear_request_log()

    assert run_due_column_checks(sqlite_engine, settings, NOW) == {"demo": 0}
    assert describes(box) > 0
    status = load_customer(sqlite_engine, "demo", budget_share=0.5)
    assert status.column_check_at == NOW and status.column_problems == 0
    assert status.to_json()["column_check"] == {"checked_at": NOW.isoformat(), "problems": 0}

    box.org.clear_request_log()
    assert run_due_column_checks(sqlite_engine, settings, NOW + timedelta(hours=23)) == {}
    assert box.org.request_log == []
    assert run_due_column_checks(sqlite_engine, settings, NOW + timedelta(days=1)) == {"demo": 0}


def test_a_renamed_column_found_by_the_daily_check_raises_the_column_alert(
    demo: Customer,
    box: Sandbox,
    sqlite_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    maps = tmp_path / "field_maps"
    shutil.copytree(REPO / "field_maps", maps)
    demo_map = maps / "demo.yaml"
    demo_map.write_text(demo_map.read_text().replace("TITLE", "JOB_TITLE"))
    monkeypatch.setenv("CONNECTOR_FIELD_MAPS_DIR", str(maps))
    get_settings.cache_clear()

    found = run_due_column_checks(sqlite_engine, get_settings(), NOW)

    assert found["demo"] is not None and found["demo"] > 0
    status = load_customer(sqlite_engine, "demo", budget_share=0.5)
    assert status.column_problems == found["demo"]
    [incident] = [i for i in incidents_of(status) if i.kind == "columns"]
    assert "daily column check" in incident.detail and "fieldmap check demo" in incident.detail


def test_a_paused_customer_is_not_checked(
    demo: Customer, box: Sandbox, sqlite_engine: Engine
) -> None:
    pause_customer(demo.store, AdminStore(sqlite_engine), actor="cli:ops", reason="migration")
    box.org.clear_request_log()
    assert run_due_column_checks(sqlite_engine, get_settings(), NOW) == {}
    assert describes(box) == 0


def test_a_scheduler_pass_runs_the_due_checks(demo: Customer, sqlite_engine: Engine) -> None:
    settings = get_settings()
    report = run_pass(sqlite_engine, settings, InlineExecutor(sqlite_engine, settings))
    assert report.column_checks == 1
    again = run_pass(sqlite_engine, settings, InlineExecutor(sqlite_engine, settings))
    assert again.column_checks == 0
