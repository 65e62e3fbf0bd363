"""Bad input gets one clear line naming the customer, file or report, and a non-zero exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from connector.store import make_engine
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
    sandbox: Sandbox, file_store: Engine, maps: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    point_at(sandbox, monkeypatch)
    connect(sandbox, file_store, "demo")
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


def test_fieldmap_check_refuses_matrix_row_limit_and_full_filter_reports_with_the_fix(
    connected_demo: Path, sandbox: Sandbox
) -> None:
    by_name = {r.developer_name: r for r in sandbox.org.reports.values()}
    matrix, top, full = (
        by_name["Renewals_Q3"],
        by_name["Webinar_Attendees"],
        by_name["Enterprise_Contacts"],
    )
    saved = [(r, r.report_format, r.top_rows, r.report_filters) for r in (matrix, top, full)]
    matrix.report_format = "MATRIX"
    top.top_rows = {"rowLimit": 10, "direction": "Asc"}
    full.report_filters = [{"column": "EMAIL", "operator": "contains", "value": "@"}] * 20
    try:
        result = run_cli("fieldmap", "check", "demo")
    finally:
        for report, report_format, top_rows, filters in saved:
            report.report_format, report.top_rows, report.report_filters = (
                report_format, top_rows, filters,
            )  # fmt: skip

    assert result.returncode == 2
    problems = [
        " ".join(line.split()) for line in result.stdout.split("problem ")[1:]
    ]  # one problem each, its line wrapped by the console or not

    def said(report: str, *words: str) -> bool:
        return any(f"'{report}'" in p and all(w in p for w in words) for p in problems)

    assert said("Renewals_Q3", "is a matrix report", "save it as a tabular (or summary) report")
    assert said("Webinar_Attendees", "is a row-limit report", "remove the row limit")
    assert said("Enterprise_Contacts", "has 20 filters", "remove one filter")


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


def test_fieldmap_check_online_reports_a_listed_report_missing_from_the_folder(
    connected_demo: Path,
) -> None:
    path = connected_demo / "demo.yaml"
    text = path.read_text().replace(
        "  report_folder: Call_Lists\n",
        "  report_folder: Call_Lists\n  reports: [Enterprise_Contacts, SMB_Contacts]\n",
    )
    path.write_text(text)
    line = text.splitlines().index("  reports: [Enterprise_Contacts, SMB_Contacts]") + 1

    result = run_cli("fieldmap", "check", "demo")

    assert result.returncode == 2, result.stdout
    assert f"demo.yaml:{line} source.reports[1]" in result.stdout
    assert "no report 'SMB_Contacts'" in result.stdout and "Renewals_Q3" in result.stdout


def test_fieldmap_check_online_problems_carry_file_and_line(connected_demo: Path) -> None:
    path = connected_demo / "demo.yaml"
    text = path.read_text().replace("PHONE1", "PHONE_NUMBER")
    path.write_text(text)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "PHONE_NUMBER" in t)

    result = run_cli("fieldmap", "check", "demo")

    assert f"demo.yaml:{line} prospect.fields.phone" in result.stdout


def test_fieldmap_preview_reports_a_missing_column_like_check(connected_demo: Path) -> None:
    path = connected_demo / "demo.yaml"
    path.write_text(path.read_text().replace("PHONE1", "PHONE_NUMBER"))

    check = run_cli("fieldmap", "check", "demo")
    preview = run_cli("fieldmap", "preview", "demo", "--report", "Renewals_Q3")

    assert preview.returncode == check.returncode == 2
    assert "Traceback" not in preview.stderr
    assert "prospect.fields.phone" in preview.stdout and "PHONE_NUMBER" in preview.stdout


def test_fieldmap_check_online_refuses_a_text_column_as_the_record_id(
    connected_demo: Path,
) -> None:
    path = connected_demo / "demo.yaml"
    path.write_text(path.read_text().replace("id: CONTACT_ID", "id: ACCOUNT.NAME"))

    result = run_cli("fieldmap", "check", "demo")

    assert result.returncode == 2
    output = " ".join(result.stdout.split())
    assert "prospect.id" in output and "is of type string, not a record id" in output
    assert "set prospect.id to 'CONTACT_ID'" in output
