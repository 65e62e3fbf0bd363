"""An erased customer id is a tombstone: every command refuses and writes one audit line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from privacy_builders import NOW, rows_of, seed_customer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from connector.cli import app
from connector.config import get_settings
from connector.privacy.erase import erase_customer, request_erasure
from connector.store import TenantStore, make_engine, migrate


def partition(engine: Engine) -> dict[str, int]:
    """Rows under the customer id, outside the erasure record itself."""
    counts = rows_of(engine, "acme")
    return {table: n for table, n in counts.items() if n and table != "erasures"}


@pytest.fixture
def erased() -> Engine:
    engine = make_engine(get_settings().resolved_database_url())
    migrate(engine)
    seed_customer(engine, "acme")
    request_erasure(engine, "acme", "cli:ops", now=NOW)
    erase_customer(engine, "acme", NOW, revoke=lambda _e, _c: None)
    assert partition(engine) == {}
    return engine


@pytest.mark.parametrize(
    "args",
    [
        ["sync", "acme"],
        ["export", "acme", "--out", "export-refused"],
        ["runs", "acme"],
        ["audit", "acme"],
        ["erase", "acme", "--yes"],
        ["forget", "acme", "--email", "someone@example.com"],
        ["activities", "failed", "acme"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_every_command_on_an_erased_customer_refuses_and_writes_one_audit_line(
    erased: Engine, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    message = str(result.exception)
    assert "was erased on 2025-03-01 12:00 UTC (requested by cli:ops)" in message
    assert partition(erased) == {"audit_events": 1}
    (event,) = TenantStore(erased, "acme").audit_events()
    assert event.action == "refused_erased"
    expected = {"activities": "activities_failed"}.get(args[0], args[0])
    assert json.loads(event.detail or "{}") == {"command": expected}
    assert "someone" not in (event.detail or "")
    assert not list(tmp_path.glob("export-*"))
