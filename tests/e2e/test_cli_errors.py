"""Bad input gets one clear line naming the customer, file or report, and a non-zero exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connector.store import make_engine, migrate
from tests.conftest import REPO
from tests.e2e.conftest import Sandbox, connect, point_at


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        cwd=REPO,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture
def maps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the shipped field maps that a test may break."""
    target = tmp_path / "field_maps"
    shutil.copytree(REPO / "field_maps", target)
    monkeypatch.setenv("CONNECTOR_FIELD_MAPS_DIR", str(target))
    return target


@pytest.fixture
def connected_demo(
    sandbox: Sandbox, tmp_path: Path, maps: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    point_at(sandbox, monkeypatch)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CONNECTOR_DATABASE_URL", url)
    engine = make_engine(url)
    migrate(engine)
    connect(sandbox, engine, "demo")
    return maps


def test_a_missing_field_map_names_the_file_and_the_fix(maps: Path) -> None:
    result = run_cli("sync", "acme")

    assert result.returncode == 2
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert "acme.yaml" in lines[0]
    assert "example.yaml" in lines[0]
    assert "Traceback" not in result.stderr


def test_a_broken_field_map_names_file_line_key_and_fix(maps: Path) -> None:
    path = maps / "demo.yaml"
    path.write_text(path.read_text().replace("email:", "emial:", 1))

    result = run_cli("fieldmap", "check", "demo", "--offline")

    assert result.returncode == 2
    assert "demo.yaml:" in result.stderr
    assert "emial" in result.stderr and "did you mean 'email'" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_report_folder_names_the_customer_and_the_folder(connected_demo: Path) -> None:
    path = connected_demo / "demo.yaml"
    path.write_text(
        path.read_text().replace("report_folder: Call_Lists", "report_folder: No_Such_Folder")
    )

    result = run_cli("sync", "demo", "--no-progress")

    assert result.returncode != 0
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert "customer 'demo'" in lines[0] and "No_Such_Folder" in lines[0]


def test_a_report_missing_a_mapped_column_names_the_report_and_column(connected_demo: Path) -> None:
    path = connected_demo / "demo.yaml"
    path.write_text(path.read_text().replace("TITLE", "JOB_TITLE"))

    result = run_cli("sync", "demo", "--no-progress")

    assert result.returncode == 2
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert "customer 'demo'" in lines[0]
    assert "JOB_TITLE" in lines[0] and "report '" in lines[0]


def test_sync_of_a_connected_customer_prints_a_summary(connected_demo: Path) -> None:
    result = run_cli("sync", "demo", "--no-progress")

    assert result.returncode == 0, result.stderr
    assert "prospects written" in result.stdout
    assert "succeeded" in result.stdout


def test_fieldmap_check_online_passes_for_the_demo_map(connected_demo: Path) -> None:
    result = run_cli("fieldmap", "check", "demo")

    assert result.returncode == 0, result.stderr
    assert "Enterprise_Contacts" in result.stdout
    assert "Connector_Activity_Id__c is an external id" in result.stdout


def test_fieldmap_check_online_catches_a_renamed_report_column(connected_demo: Path) -> None:
    path = connected_demo / "demo.yaml"
    path.write_text(path.read_text().replace("PHONE1", "PHONE_NUMBER"))

    result = run_cli("fieldmap", "check", "demo")

    assert result.returncode == 2
    assert "PHONE_NUMBER" in result.stdout
    assert "prospect.fields.phone" in result.stdout


def test_fieldmap_preview_shows_mapped_rows_and_writes_nothing(
    connected_demo: Path, sandbox: Sandbox
) -> None:
    from connector.store import TenantStore
    from connector.store.models import Prospect

    result = run_cli("fieldmap", "preview", "demo", "--report", "Renewals_Q3", "--limit", "5")

    assert result.returncode == 0, result.stderr
    assert "Renewals_Q3" in result.stdout
    engine = make_engine(os.environ["CONNECTOR_DATABASE_URL"])
    assert TenantStore(engine, "demo").count(Prospect) == 0


def test_a_sync_by_hand_counts_as_the_scheduled_one(connected_demo: Path) -> None:
    from connector.schedule.due import due_reason
    from connector.store import TenantStore
    from connector.store.models import utcnow

    result = run_cli("sync", "demo", "--no-progress")

    assert result.returncode == 0, result.stderr
    store = TenantStore(make_engine(os.environ["CONNECTOR_DATABASE_URL"]), "demo")
    assert due_reason(store.schedule_state(), utcnow()) is None
