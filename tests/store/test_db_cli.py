"""`connector db upgrade` / `db status`, and commands refusing a store that is behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from typer.testing import CliRunner, Result

from connector.cli import app
from connector.config import get_settings
from connector.errors import ConfigError
from connector.store import make_engine
from connector.store.engine import alembic_config, schema_status
from tests.conftest import REPO, PostgresStore

runner = CliRunner()


def invoke(*args: str) -> Result:
    get_settings.cache_clear()
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CONNECTOR_DATABASE_URL", url)
    return url


def test_status_then_upgrade_then_status_on_sqlite(sqlite_url: str) -> None:
    before = invoke("db", "status")
    assert before.exit_code == 1
    assert "none (not initialised)" in before.stdout
    assert "run `connector db upgrade`" in before.stdout

    upgraded = invoke("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stdout
    head = schema_status(make_engine(sqlite_url)).head
    assert f"upgraded the store from revision none to {head}" in upgraded.stdout

    after = invoke("db", "status")
    assert after.exit_code == 0
    assert "up to date" in after.stdout
    assert "nothing to apply" in invoke("db", "upgrade").stdout


def test_a_command_refuses_a_store_behind_the_code_with_one_line(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")

    result = subprocess.run(
        [sys.executable, "-m", "connector", "runs", "acme"],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "revision 0001" in lines[0] and "run `connector db upgrade`" in lines[0]
    assert schema_status(engine).current == "0001"  # start-up changed nothing

    assert invoke("db", "upgrade").exit_code == 0
    assert schema_status(engine).up_to_date


def test_upgrade_on_postgres_as_the_owner_grants_the_application_role(
    postgres: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres.export(monkeypatch)

    result = invoke("db", "upgrade")

    assert result.exit_code == 0, result.stdout
    assert "nothing to apply" in result.stdout
    assert f"application role: {postgres.app_role}; tenant key stored" in result.stdout
    assert invoke("db", "status").exit_code == 0


def test_upgrade_on_postgres_refuses_one_role_for_both(
    postgres: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres.export(monkeypatch)
    monkeypatch.setenv("CONNECTOR_DATABASE_URL", postgres.owner_url)

    result = invoke("db", "upgrade")

    assert isinstance(result.exception, ConfigError)
    assert "CONNECTOR_MIGRATION_DATABASE_URL" in str(result.exception)


def test_upgrade_on_postgres_refuses_a_missing_or_short_tenant_key(
    postgres: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres.export(monkeypatch)
    for value in ("", "too short"):
        monkeypatch.setenv("CONNECTOR_TENANT_KEY", value)

        result = invoke("db", "upgrade")

        assert isinstance(result.exception, ConfigError)
        assert "CONNECTOR_TENANT_KEY must be set to at least 32 characters" in str(result.exception)
