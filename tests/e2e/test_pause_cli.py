"""`connector pause|resume|status` through the real command: a paused customer is left alone."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.e2e.test_cli_errors import connected_demo, error_lines, maps, run_cli  # noqa: F401


def activity_file(tmp_path: Path) -> Path:
    file = tmp_path / "calls.jsonl"
    file.write_text(
        json.dumps(
            {
                "id": str(uuid.uuid4()),
                "kind": "call",
                "prospect_crm_id": "003000000000001AAA",
                "occurred_at": "2026-03-02T15:04:00Z",
                "duration_seconds": 30,
            }
        )
        + "\n"
    )
    return file


def test_a_paused_customer_is_neither_pulled_nor_pushed_but_its_activities_queue(
    connected_demo: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    paused = run_cli("pause", "demo", "--reason", "org migration this week")
    assert paused.returncode == 0, paused.stderr

    sync = run_cli("sync", "demo")
    assert sync.returncode == 2 and "paused" in sync.stderr
    assert len(error_lines(sync)) == 1, sync.stderr
    push = run_cli("push", "demo")
    assert push.returncode == 2 and "paused" in push.stderr
    queued = run_cli("activities", "import", "demo", str(activity_file(tmp_path)))
    assert queued.returncode == 0, queued.stderr

    status = json.loads(run_cli("status", "demo", "--json").stdout)
    assert status["state"] == "paused"
    assert status["reason"] == "org migration this week"
    assert status["paused_by"].startswith("cli:") and status["paused_at"]
    assert status["activities"] == {"pending": 1, "parked": 0}
    assert status["recent_runs"] == []

    resumed = run_cli("resume", "demo")
    assert resumed.returncode == 0 and "resumed" in resumed.stdout
    synced = run_cli("sync", "demo")
    assert synced.returncode == 0, synced.stderr
    after = json.loads(run_cli("status", "--json").stdout)["customers"]
    demo = next(c for c in after if c["customer"] == "demo")
    assert demo["state"] == "active" and demo["last_run"]["status"] == "succeeded"


def test_status_of_a_mistyped_customer_refuses_and_suggests(connected_demo: Path) -> None:  # noqa: F811
    result = run_cli("status", "dmeo")
    assert result.returncode == 2
    lines = error_lines(result)
    assert len(lines) == 1 and "did you mean 'demo'" in lines[0], result.stderr


def test_pause_without_a_reason_is_a_usage_error(connected_demo: Path) -> None:  # noqa: F811
    result = run_cli("pause", "demo")
    assert result.returncode == 2 and "--reason" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_fleet_table_fits_in_80_columns(connected_demo: Path) -> None:  # noqa: F811
    import os

    result = run_cli("status", env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
