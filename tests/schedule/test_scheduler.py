"""The scheduler against a real sandbox org: due customers sync once, under their lease."""

from __future__ import annotations

import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine

from connector.config import get_settings
from connector.schedule import runner
from connector.schedule.executor import InlineExecutor
from connector.schedule.runner import run_pass
from connector.store.models import SyncRun, utcnow
from tests.conftest import REPO
from tests.e2e.conftest import Customer
from tests.helpers.servers import connector_command


def pulls(customer: Customer) -> list[SyncRun]:
    return [run for run in customer.store.list_runs(50) if run.kind == "pull"]


def one_pass(engine: Engine) -> runner.PassReport:
    settings = get_settings()
    return run_pass(engine, settings, InlineExecutor(engine, settings))


def test_given_two_schedulers_started_together_then_the_customer_syncs_once(
    demo: Customer, store_url: str
) -> None:
    schedulers = [
        subprocess.Popen(
            connector_command("scheduler", "run", "--once"),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [scheduler.communicate(timeout=240) for scheduler in schedulers]
    assert [s.returncode for s in schedulers] == [0, 0], outputs
    runs = demo.store.list_runs(50)
    assert [(r.kind, r.trigger, r.status) for r in runs] == [("pull", "schedule", "succeeded")]
    assert demo.store.current_lease().holder is None  # type: ignore[union-attr]


def test_given_customer_synced_then_next_pass_finds_nothing_due(demo: Customer) -> None:
    engine = demo.store.engine
    first = one_pass(engine)
    assert [(o.customer_id, o.status, o.reason) for o in first.outcomes] == [
        ("demo", "succeeded", "schedule")
    ]
    state = demo.store.schedule_state()
    assert state.consecutive_failures == 0
    assert state.next_due_at is not None
    assert state.next_due_at - state.last_run_at == timedelta(minutes=15)  # type: ignore[operator]
    assert one_pass(engine).due == []
    assert len(pulls(demo)) == 1


def test_given_pending_resync_then_pass_runs_a_full_resync_and_marks_it_done(
    demo: Customer,
) -> None:
    engine = demo.store.engine
    one_pass(engine)
    demo.store.record_resync("04l000000000001AAA", "outbound_message")
    demo.store.record_resync("04l000000000002AAA", "outbound_message")
    report = one_pass(engine)
    assert [(job.customer_id, job.reason) for job in report.due] == [("demo", "resync")]
    latest = pulls(demo)[0]
    assert (latest.trigger, latest.full, latest.status) == ("resync", True, "succeeded")
    assert latest.run_id in report.outcomes[0].run_ids
    assert demo.store.pending_resyncs() == []
    assert one_pass(engine).due == []


@pytest.mark.parametrize("status", ["paused", "reconnect_needed"])
def test_given_paused_or_reconnect_needed_customer_then_it_is_skipped_even_with_a_resync(
    demo: Customer, status: str
) -> None:
    demo.store.set_customer_status(status, "test")
    demo.store.record_resync("r1", "webhook")
    assert one_pass(demo.store.engine).due == []
    assert pulls(demo) == []


def test_given_failing_customer_then_failure_is_booked_with_backoff(
    demo: Customer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    maps = tmp_path / "maps"
    maps.mkdir()
    data = yaml.safe_load((REPO / "field_maps" / "demo.yaml").read_text())
    data["source"]["report_folder"] = "No_Such_Folder"
    (maps / "demo.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("CONNECTOR_FIELD_MAPS_DIR", str(maps))
    get_settings.cache_clear()
    before = utcnow()
    report = one_pass(demo.store.engine)
    assert [(o.status, o.reason) for o in report.outcomes] == [("failed", "schedule")]
    assert report.outcomes[0].error_code == "ConfigError"  # the unknown report folder
    state = demo.store.schedule_state()
    assert state.consecutive_failures == 1
    assert state.next_due_at is not None and state.next_due_at >= before + timedelta(minutes=15)
    assert one_pass(demo.store.engine).due == []  # not hammered
    assert pulls(demo)[0].status == "failed"


def test_given_customer_without_field_map_then_it_is_not_planned(
    demo: Customer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_FIELD_MAPS_DIR", str(tmp_path))
    get_settings.cache_clear()
    assert one_pass(demo.store.engine).due == []


def test_each_pass_runs_due_erasures_when_privacy_offers_them(
    demo: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(runner, "erasure_hook", lambda: lambda engine, now: calls.append(now) or [])
    report = one_pass(demo.store.engine)
    assert calls == [report.started_at]


def test_scheduler_cli_once_prints_the_pass(demo: Customer, store_url: str) -> None:
    result = subprocess.run(
        connector_command("scheduler", "run", "--once"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout and "succeeded" in result.stdout
    assert len(pulls(demo)) == 1


def test_run_loop_passes_until_stopped(demo: Customer) -> None:
    settings = get_settings()
    engine = demo.store.engine
    stop = threading.Event()
    reports: list[runner.PassReport] = []

    def on_pass(report: runner.PassReport) -> None:
        reports.append(report)
        if len(reports) == 2:
            stop.set()

    runner.run_loop(
        engine,
        settings,
        InlineExecutor(engine, settings),
        interval=0.01,
        stop=stop,
        on_pass=on_pass,
    )
    assert [len(r.due) for r in reports] == [1, 0]
