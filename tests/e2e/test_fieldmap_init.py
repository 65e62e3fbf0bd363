"""`connector fieldmap init`: a draft map from the folder's reports, over HTTP to the sandbox."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connector.crm.salesforce.connect import connect_jwt
from connector.store import TenantStore, make_engine, migrate
from connector.vault import Vault
from tests.conftest import REPO
from tests.e2e.conftest import CLIENT_ID, USERNAME, Sandbox, point_at
from tests.e2e.test_cli_errors import error_lines, run_cli


@pytest.fixture
def maps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped example and schema only: the new customer has no map yet."""
    target = tmp_path / "field_maps"
    target.mkdir()
    for name in ("example.yaml", "fieldmap.schema.json"):
        shutil.copy(REPO / "field_maps" / name, target / name)
    monkeypatch.setenv("CONNECTOR_FIELD_MAPS_DIR", str(target))
    return target


@pytest.fixture
def connected_acme(
    sandbox: Sandbox, tmp_path: Path, maps: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """`acme` connected to the sandbox by JWT, as `connector auth jwt` does; no field map."""
    point_at(sandbox, monkeypatch)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CONNECTOR_DATABASE_URL", url)
    engine = make_engine(url)
    migrate(engine)
    from connector.config import get_settings

    connect_jwt(
        TenantStore(engine, "acme"),
        Vault.from_settings(get_settings()),
        login_url=sandbox.server.base_url,
        client_id=CLIENT_ID,
        username=USERNAME,
        private_key_pem=sandbox.private_key_pem,
        ca_bundle=str(sandbox.server.ca_path),
    )
    return maps


def test_given_a_connected_customer_when_init_then_the_draft_passes_check_against_the_org(
    connected_acme: Path,
) -> None:
    result = run_cli("fieldmap", "init", "acme", "--folder", "Call_Lists")
    assert result.returncode == 0, result.stderr
    text = (connected_acme / "acme.yaml").read_text()

    assert "id: CONTACT_ID" in text
    assert "email: {column: EMAIL, transform: email}" in text
    assert "phone: {column: PHONE1, transform: phone, region: US}" in text
    assert "last_name: {column: LAST_NAME, required: true}" in text
    assert "company: ACCOUNT.NAME" in text
    for report in ("Enterprise_Contacts", "Renewals_Q3", "Webinar_Attendees"):
        assert f"- {report}" in text
    assert "Salary_Review" not in text  # another folder's report
    assert "# TODO" not in text
    assert "CHOOSE" in text
    check = run_cli("fieldmap", "check", "acme")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ok report Webinar_Attendees" in check.stdout


def test_given_an_existing_map_when_init_without_force_then_it_is_refused_and_kept(
    connected_acme: Path,
) -> None:
    (connected_acme / "acme.yaml").write_text("# mine\n")

    result = run_cli("fieldmap", "init", "acme", "--folder", "Call_Lists")

    assert result.returncode == 2
    (line,) = error_lines(result)
    assert "acme.yaml exists" in line and "--force" in line
    assert (connected_acme / "acme.yaml").read_text() == "# mine\n"
    forced = run_cli("fieldmap", "init", "acme", "--folder", "Call_Lists", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "id: CONTACT_ID" in (connected_acme / "acme.yaml").read_text()


def test_init_writes_where_out_says(connected_acme: Path, tmp_path: Path) -> None:
    out = tmp_path / "drafts" / "acme.yaml"

    result = run_cli("fieldmap", "init", "acme", "--folder", "Call_Lists", "--out", str(out))

    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith("# yaml-language-server")
    assert not (connected_acme / "acme.yaml").exists()


def test_an_unknown_folder_is_one_line_naming_it(connected_acme: Path) -> None:
    result = run_cli("fieldmap", "init", "acme", "--folder", "No_Such_Folder")

    assert result.returncode == 2
    (line,) = error_lines(result)
    assert "No_Such_Folder" in line and "Traceback" not in result.stderr
    assert not (connected_acme / "acme.yaml").exists()


def test_an_unknown_customer_is_refused_before_anything(connected_acme: Path) -> None:
    result = run_cli("fieldmap", "init", "acmee", "--folder", "Call_Lists")

    assert result.returncode == 2
    (line,) = error_lines(result)
    assert "unknown customer 'acmee'" in line and "did you mean 'acme'" in line
    assert not (connected_acme / "acmee.yaml").exists()


def test_a_customer_without_a_connection_is_told_to_connect(
    connected_acme: Path, tmp_path: Path
) -> None:
    (connected_acme / "beta.yaml").write_text(
        (REPO / "field_maps" / "demo.yaml").read_text().replace("customer: demo", "customer: beta")
    )
    out = tmp_path / "beta-draft.yaml"

    result = run_cli("fieldmap", "init", "beta", "--folder", "Call_Lists", "--out", str(out))

    assert result.returncode == 3
    (line,) = error_lines(result)
    assert "connector auth" in line
    assert not out.exists()
