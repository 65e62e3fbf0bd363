"""`--json` on the listing commands: one parseable document, stable keys, no secrets.

Each command runs as an operator would (a subprocess) against a store connected to the
sandbox org; the keys asserted are the ones the README documents.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from connector.store import TenantStore
from connector.store.engine import make_engine
from connector.store.models import Activity
from tests.e2e.test_cli_errors import connected_demo, error_lines, maps, run_cli  # noqa: F401

RUN_KEYS = {
    "run_id",
    "kind",
    "trigger",
    "full",
    "status",
    "started_at",
    "finished_at",
    "reports",
    "rows_read",
    "prospects_written",
    "prospects_unchanged",
    "prospects_removed",
    "memberships_added",
    "memberships_removed",
    "rejected",
    "suppressed",
    "activities_pushed",
    "activities_failed",
    "api_calls",
    "api_used",
    "api_limit",
    "report_runs_remaining",
    "report_runs_max",
    "error_code",
    "error",
}


def json_of(*args: str) -> Any:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def store_engine() -> Any:
    import os

    return make_engine(os.environ["CONNECTOR_DATABASE_URL"])


def test_runs_and_audit_list_as_json_after_a_sync(connected_demo: Path) -> None:  # noqa: F811
    assert run_cli("sync", "demo", "--no-progress").returncode == 0

    runs = json_of("runs", "demo", "--json")
    assert runs["customer"] == "demo"
    [run] = runs["runs"]
    assert set(run) == RUN_KEYS
    assert run["kind"] == "pull" and run["status"] == "succeeded" and run["rows_read"] > 0
    assert run["report_runs_max"] == 500 and 0 < run["report_runs_remaining"] < 500
    assert datetime.fromisoformat(run["started_at"]).tzinfo is not None

    audit = json_of("audit", "demo", "--json")
    assert audit["customer"] == "demo"
    assert all(set(e) == {"at", "actor", "action", "detail"} for e in audit["events"])
    assert "sync" in [e["action"] for e in audit["events"]]


def test_auth_status_as_json_names_no_token_or_key(connected_demo: Path) -> None:  # noqa: F811
    result = run_cli("auth", "status", "--json")
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)["connections"]
    assert set(row) == {
        "customer",
        "auth",
        "org_id",
        "instance_url",
        "connected_at",
        "status",
        "reason",
    }
    assert row["customer"] == "demo" and row["auth"] == "jwt" and row["status"] == "active"
    connection = TenantStore(store_engine(), "demo").get_connection()
    assert connection is not None
    for secret in (connection.access_token_enc, connection.refresh_token_enc):
        assert not secret or secret not in result.stdout


def test_parked_activities_list_as_json_and_retry(connected_demo: Path) -> None:  # noqa: F811
    engine = store_engine()
    activity_id = str(uuid.uuid4())
    TenantStore(engine, "demo").record_activities(
        [
            {
                "activity_id": activity_id,
                "kind": "call",
                "prospect_crm_id": "003000000000001AAA",
                "occurred_at": datetime(2026, 3, 2, 15, 4, tzinfo=UTC),
            }
        ]
    )
    with Session(engine) as session:
        session.execute(
            update(Activity)
            .where(Activity.activity_id == activity_id)  # type: ignore[arg-type]
            .values(push_status="failed", attempts=1, error_code="INVALID_CROSS_REFERENCE_KEY")
        )
        session.commit()

    listed = json_of("activities", "failed", "demo", "--json")
    assert listed["parked"] == 1 and listed["requeued"] == 0
    [row] = listed["activities"]
    assert set(row) == {
        "activity_id",
        "kind",
        "prospect_crm_id",
        "occurred_at",
        "attempts",
        "error_code",
        "error_message",
    }
    assert row["activity_id"] == activity_id and row["error_code"] == "INVALID_CROSS_REFERENCE_KEY"

    retried = json_of("activities", "failed", "demo", "--json", "--retry")
    assert retried["requeued"] == 1
    assert json_of("activities", "failed", "demo", "--json")["parked"] == 0


def test_pending_erasures_list_as_json(connected_demo: Path) -> None:  # noqa: F811
    assert json_of("erase", "--pending", "--json") == {"erasures": []}
    on = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    assert run_cli("erase", "demo", "--on", on).returncode == 0

    [item] = json_of("erase", "--pending", "--json")["erasures"]
    assert set(item) == {"customer", "requested_at", "due_at", "requested_by", "overdue"}
    assert item["customer"] == "demo" and item["overdue"] is False
    assert item["due_at"].startswith(on)


def test_erase_json_without_pending_is_refused(connected_demo: Path) -> None:  # noqa: F811
    result = run_cli("erase", "demo", "--json")
    assert result.returncode == 2 and "--pending" in result.stderr
    assert len(error_lines(result)) == 1 and not result.stdout.strip()


def test_fieldmap_check_as_json_lists_findings_and_fails_on_a_problem(
    connected_demo: Path,  # noqa: F811
) -> None:
    good = json_of("fieldmap", "check", "demo", "--json")
    assert good["ok"] is True and good["online"] is True and good["schema_valid"] is True
    assert {f["outcome"] for f in good["findings"]} == {"ok"}
    assert all(
        set(f) == {"outcome", "key", "location", "report", "message"} for f in good["findings"]
    )

    demo = connected_demo / "demo.yaml"
    demo.write_text(demo.read_text().replace("TITLE", "JOB_TITLE"))
    bad = run_cli("fieldmap", "check", "demo", "--json")
    assert bad.returncode == 2
    data = json.loads(bad.stdout)
    assert data["ok"] is False
    problems = [f for f in data["findings"] if f["outcome"] == "problem"]
    assert problems and all("JOB_TITLE" in p["message"] for p in problems)
    assert problems[0]["location"].startswith(str(demo))

    offline = json_of("fieldmap", "check", "demo", "--offline", "--json")
    assert offline["online"] is False and offline["findings"] == []


#: Escape codes, carriage returns and the bars' labels: none may reach piped output.
BAR_MARKS = (
    "\x1b[",
    "\r",
    "reading lines",
    "pushing activities",
    "exporting tables",
    "applying retention",
    "re-encrypting",
    "erasing",
)


def test_long_commands_print_no_bars_when_not_on_a_terminal(
    connected_demo: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Output that is piped or captured holds the commands' own lines only."""
    file = tmp_path / "calls.jsonl"
    file.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": str(uuid.uuid4()),
                    "kind": "call",
                    "prospect_crm_id": "003000000000001AAA",
                    "occurred_at": "2026-03-02T15:04:00Z",
                }
            )
            for _ in range(3)
        )
        + "\n"
    )
    commands = [
        ("activities", "import", "demo", str(file)),
        ("push", "demo"),
        ("export", "demo", "--out", str(tmp_path / "export")),
        ("retention", "run"),
        ("secrets", "rotate"),
        ("erase", "--run-due"),
    ]
    for command in commands:
        result = run_cli(*command)
        assert result.returncode == 0, (command, result.stderr)
        for mark in BAR_MARKS:
            assert mark not in result.stdout, (command, result.stdout)
    runs = json_of("runs", "demo", "--json")["runs"]
    push = runs[0]
    assert push["kind"] == "push" and push["status"] == "succeeded"
    assert push["activities_pushed"] + push["activities_failed"] == 3
