"""`connector activities import|failed` and `connector push --dry-run`, through the real CLI."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from connector.cli import activities_cmds
from connector.cli.common import open_store
from connector.store import TenantStore
from connector.sync.push import push, record_activities
from tests.push.conftest import Sandbox, a_call, field_map

runner = CliRunner()
# mounted as `connector/cli/__init__.py` mounts it, without the other command groups
app = typer.Typer()
app.add_typer(activities_cmds.app, name="activities")
activities_cmds.register(app)
WHO = "003000000000001AAA"


def line(**overrides: Any) -> str:
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "call",
        "prospect_crm_id": WHO,
        "occurred_at": "2026-03-02T15:04:00Z",
        "direction": "inbound",
        "duration_seconds": 75,
        "outcome": "Connected",
    }
    data.update(overrides)
    return json.dumps(data)


@pytest.fixture
def store() -> TenantStore:
    """The store the CLI opens (SQLite under the test's CONNECTOR_HOME), with acme in it."""
    store = open_store("acme", create=True)
    store.ensure_customer()
    return store


def test_given_a_valid_file_when_imported_then_activities_are_pending(
    tmp_path: Path, store: TenantStore
) -> None:
    file = tmp_path / "activities.jsonl"
    file.write_text("\n".join([line(), line(kind="email", duration_seconds=None), ""]) + "\n")

    result = runner.invoke(app, ["activities", "import", "acme", str(file)])

    assert result.exit_code == 0, result.output
    assert "2 new" in result.output
    assert store.activity_counts() == {"pending": 2}


def test_given_a_body_on_line_2_when_imported_then_nothing_is_stored_and_line_2_is_named(
    tmp_path: Path, store: TenantStore
) -> None:
    file = tmp_path / "activities.jsonl"
    file.write_text("\n".join([line(), line(body="Hi Dana, as promised...")]) + "\n")

    result = runner.invoke(app, ["activities", "import", "acme", str(file)])

    assert result.exit_code == 2
    assert "line 2: body: refused" in result.output
    assert "nothing imported" in result.output
    assert store.activity_counts() == {}


def test_given_dry_run_when_imported_then_it_only_validates(
    tmp_path: Path, store: TenantStore
) -> None:
    file = tmp_path / "activities.jsonl"
    file.write_text(line() + "\n")

    result = runner.invoke(app, ["activities", "import", "acme", str(file), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "1 activities are valid" in result.output
    assert store.activity_counts() == {}


def test_given_pending_activities_when_push_dry_run_then_records_are_shown_and_nothing_sent(
    box: Sandbox,
) -> None:
    store = open_store("demo", create=True)
    call = a_call(WHO, outcome="Connected")
    record_activities(store, [call])

    result = runner.invoke(app, ["push", "demo", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert str(call.id) in result.output
    assert '"Subject": "Call: Connected"' in result.output
    assert "1 Task records would be upserted; nothing sent" in result.output
    assert box.org.request_log == []
    assert store.activity_counts() == {"pending": 1}


def test_given_a_parked_failure_then_failed_shows_code_and_message_and_retry_requeues(
    box: Sandbox, store: TenantStore
) -> None:
    orphan = a_call(box.missing_contact_id())
    good = a_call(box.contact_ids(1, 950)[0])
    record_activities(store, [orphan, good])
    push(field_map(), store, box.crm())

    listed = runner.invoke(app, ["activities", "failed", "acme"], env={"COLUMNS": "250"})

    assert listed.exit_code == 0, listed.output
    assert str(orphan.id) in listed.output
    assert str(good.id) not in listed.output
    assert "INVALID_CROSS_REFERENCE_KEY" in listed.output
    assert "invalid cross reference id" in listed.output
    assert store.activity_counts() == {"failed": 1, "pushed": 1}

    retried = runner.invoke(app, ["activities", "failed", "acme", "--retry"])

    assert retried.exit_code == 0, retried.output
    assert "1 activities queued again" in retried.output
    assert store.activity_counts() == {"pending": 1, "pushed": 1}
    assert runner.invoke(app, ["activities", "failed", "acme"]).output.strip() == (
        "acme: no parked activities"
    )


def test_given_many_pending_when_push_dry_run_then_a_sample_is_shown_and_nothing_sent(
    box: Sandbox,
) -> None:
    store = open_store("demo", create=True)
    calls = [a_call(WHO, n) for n in range(8)]
    record_activities(store, calls)

    def shown(*extra: str) -> tuple[list[str], str]:
        result = runner.invoke(app, ["push", "demo", "--dry-run", *extra])
        assert result.exit_code == 0, result.output
        return [str(c.id) for c in calls if str(c.id) in result.output], result.output

    ids, output = shown()
    assert ids == [str(c.id) for c in calls[:5]]
    assert "8 Task records would be upserted (showing the first 5;" in output
    ids, output = shown("--sample", "2")
    assert ids == [str(c.id) for c in calls[:2]]
    ids, output = shown("--all")
    assert len(ids) == 8 and "8 Task records would be upserted; nothing sent" in output
    ids, output = shown("--sample", "0", "--limit", "3")
    assert ids == [] and "3 Task records would be upserted (showing the first 0;" in output
    assert box.org.request_log == []
    assert store.activity_counts() == {"pending": 8}
