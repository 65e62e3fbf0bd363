"""`connector sync` and `connector push` hold the customer's lease for CONNECTOR_LEASE_TTL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from connector.cli import activities_cmds, sync_cmds
from connector.config import get_settings
from connector.errors import StoreError
from connector.schedule.settings import get_schedule_settings
from connector.store import TenantStore, make_engine, migrate

app = typer.Typer()
sync_cmds.register(app)
activities_cmds.register(app)


@pytest.mark.parametrize("command", ["sync", "push"])
def test_given_a_configured_lease_ttl_when_a_command_takes_the_lease_then_it_uses_that_ttl(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_LEASE_TTL", "42")
    get_schedule_settings.cache_clear()
    asked: list[timedelta] = []

    def busy(self: TenantStore, holder: str, ttl: timedelta, **_: Any) -> None:
        asked.append(ttl)  # answer "busy": the command stops before any CRM call

    monkeypatch.setattr(TenantStore, "acquire_lease", busy)
    # the commands import the CRM wiring when they run: no CRM call is made
    monkeypatch.setattr("connector.runtime.connect_crm", lambda *_args, **_kwargs: None)
    migrate(make_engine(get_settings().resolved_database_url()))  # the store the CLI opens

    result = CliRunner().invoke(app, [command, "demo"])

    assert isinstance(result.exception, StoreError), result.output
    assert "another worker" in str(result.exception)
    assert asked == [timedelta(seconds=42)]
