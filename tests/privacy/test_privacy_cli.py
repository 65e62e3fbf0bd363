"""The privacy commands: export, forget, erase, retention and audit from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from privacy_builders import ADA, seed_customer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from connector.cli import app, main
from connector.cli.common import open_engine
from connector.config import get_settings
from connector.store import TenantStore
from connector.store.models import Prospect

runner = CliRunner()


@pytest.fixture
def cli_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("CONNECTOR_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", "cli-test-key-0123456789")
    monkeypatch.setattr("getpass.getuser", lambda: "anna")
    get_settings.cache_clear()
    engine = open_engine(create=True)
    seed_customer(engine, "acme")
    return engine


def test_export_forget_and_audit_commands(cli_engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    result = runner.invoke(app, ["export", "acme", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text())["customer"] == "acme"

    result = runner.invoke(app, ["forget", "acme", "--email", ADA.email])
    assert result.exit_code == 0, result.output
    assert ADA.email.lower() not in result.output.lower()
    assert TenantStore(cli_engine, "acme").count(Prospect) == 2

    result = runner.invoke(app, ["audit", "acme", "--limit", "10"])
    assert result.exit_code == 0, result.output
    assert "forget" in result.output and "export" in result.output
    assert "cli:anna" in result.output


def test_erase_asks_first_then_erases_and_lists_nothing_pending(cli_engine: Engine) -> None:
    result = runner.invoke(app, ["erase", "acme"], input="n\n")
    assert result.exit_code != 0
    assert TenantStore(cli_engine, "acme").count(Prospect) == 3

    result = runner.invoke(app, ["erase", "acme", "--yes"])
    # the seeded connection cannot be revoked here (no key ring): erased, but only in part
    assert result.exit_code == 7, result.output
    assert "erased acme" in result.output
    assert "may still be valid" in result.output and "by hand" in result.output
    assert TenantStore(cli_engine, "acme").count(Prospect) == 0
    result = runner.invoke(app, ["erase", "--pending"])
    assert result.exit_code == 0 and "acme" not in result.output


def test_erase_on_a_date_schedules_it_and_run_due_waits_for_it(cli_engine: Engine) -> None:
    from datetime import UTC, datetime, timedelta

    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    result = runner.invoke(app, ["erase", "acme", "--on", day])
    assert result.exit_code == 0, result.output
    assert "scheduled" in result.output
    assert "acme" in runner.invoke(app, ["erase", "--pending"]).output
    assert "no erasure is due" in runner.invoke(app, ["erase", "--run-due"]).output
    assert TenantStore(cli_engine, "acme").count(Prospect) == 3


def test_erase_more_than_ten_days_ahead_fails_with_one_clear_line(
    cli_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    day = (datetime.now(UTC) + timedelta(days=12)).date().isoformat()
    monkeypatch.setattr(sys, "argv", ["connector", "erase", "acme", "--on", day, "--yes"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert "within 10 days" in capsys.readouterr().err


def test_retention_run(cli_engine: Engine) -> None:
    result = runner.invoke(app, ["retention", "run", "acme"])
    assert result.exit_code == 0, result.output
    assert "acme:" in result.output


def test_the_audited_decorator_records_other_commands_with_their_outcome(
    cli_engine: Engine,
) -> None:
    import typer

    from connector.cli.privacy_cmds import audited
    from connector.errors import CrmError
    from connector.privacy.audit import parse_detail

    demo_app = typer.Typer()

    @demo_app.command()
    @audited("sync")
    def sync(customer: str = typer.Argument(...), fail: bool = typer.Option(False)) -> None:
        if fail:
            raise CrmError("down")

    assert runner.invoke(demo_app, ["acme"]).exit_code == 0
    assert isinstance(runner.invoke(demo_app, ["acme", "--fail"]).exception, CrmError)

    events = [e for e in TenantStore(cli_engine, "acme").audit_events() if e.action == "sync"]
    assert sorted(parse_detail(e)["outcome"] for e in events) == ["failed", "ok"]
    assert {e.actor for e in events} == {"cli:anna"}


MIXED_CASE_ID = "0035g00000AbCdEAAV"


@pytest.mark.parametrize("typed", [MIXED_CASE_ID.upper(), MIXED_CASE_ID.lower(), MIXED_CASE_ID])
def test_forget_by_an_18_character_crm_id_typed_in_any_case_forgets_the_person(
    cli_engine: Engine, typed: str
) -> None:
    store = TenantStore(cli_engine, "acme")
    with store.session() as session:
        session.add(Prospect(customer_id="acme", crm_id=MIXED_CASE_ID, row_hash="h"))
    result = runner.invoke(app, ["forget", "acme", "--crm-id", typed])

    assert result.exit_code == 0, result.output
    assert "1 prospect" in result.output
    assert MIXED_CASE_ID not in {p.crm_id for p in store.prospects()}


def test_forget_by_a_crm_id_that_matches_nothing_says_so_and_fails(cli_engine: Engine) -> None:
    result = runner.invoke(app, ["forget", "acme", "--crm-id", "0035g00000ZzZzZAAA"])

    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "no stored record matched the CRM id" in output
    assert "0035g00000ZzZzZ" not in output
    assert TenantStore(cli_engine, "acme").count(Prospect) == 3
