"""`connector tokens issue | list | revoke`, on SQLite and on PostgreSQL (where the application
role reaches the tokens only through the store's functions)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from connector.cli import app
from connector.config import get_settings
from connector.store import TenantStore, make_engine, migrate
from connector.web import create_app
from tests.web.conftest import connect_customer


@pytest.fixture(autouse=True, params=["sqlite", "postgres"])
def known_customer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store the CLI opens, with the customer the tokens are issued for."""
    if request.param == "postgres":
        request.getfixturevalue("postgres").export(monkeypatch)
    else:
        migrate(store_engine())
    connect_customer(store_engine(), "acme")


def store_engine() -> Engine:
    """The store the CLI opens, as the application opens it."""
    settings = get_settings()
    return make_engine(settings.resolved_database_url(), tenant_key=settings.tenant_key)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_issue_prints_the_token_once_and_list_never_shows_it() -> None:
    code, output = run(
        "tokens", "issue", "--role", "call-handler", "--customer", "acme",
        "--call-list", "00O000000000001AAA", "--ttl", "8h", "--name", "alice",
    )  # fmt: skip
    assert code == 0, output
    token = output.strip().splitlines()[-1]
    assert token.startswith("cnt_")
    code, listing = run("tokens", "list")
    assert code == 0
    assert "alice" in listing and "call-handler" in listing and "live" in listing
    assert token not in listing
    engine = store_engine()
    (event,) = [e for e in TenantStore(engine, "acme").audit_events() if e.action == "token_issue"]
    assert token not in (event.detail or "")


def test_an_issued_token_opens_the_web_api_until_revoked() -> None:
    code, output = run("tokens", "issue", "--role", "operator", "--customer", "acme",
                       "--name", "ops")  # fmt: skip
    assert code == 0, output
    token = output.strip().splitlines()[-1]
    engine = store_engine()
    connect_customer(engine, "acme")
    client = TestClient(create_app(engine))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/customers/acme", headers=headers).status_code == 200
    code, output = run("tokens", "revoke", "ops")
    assert code == 0 and "revoked 1" in output
    assert client.get("/api/customers/acme", headers=headers).status_code == 401
    code, listing = run("tokens", "list", "--customer", "acme")
    assert "revoked" in listing


def test_revoking_an_unknown_name_fails_with_one_line() -> None:
    result = CliRunner().invoke(app, ["tokens", "revoke", "nobody"])
    assert result.exit_code != 0
    assert "no live token is named 'nobody'" in str(result.exception)


def test_issue_with_a_bad_ttl_says_what_is_accepted() -> None:
    result = CliRunner().invoke(
        app,
        [
            "tokens",
            "issue",
            "--role",
            "operator",
            "--customer",
            "acme",
            "--name",
            "x",
            "--ttl",
            "forever",
        ],
    )
    assert result.exit_code != 0
    assert "--ttl" in str(result.exception) and "1h30m" in str(result.exception)


def test_issue_with_an_unknown_role_lists_the_roles() -> None:
    result = CliRunner().invoke(
        app, ["tokens", "issue", "--role", "root", "--customer", "acme", "--name", "x"]
    )
    assert result.exit_code != 0
    assert "operator, platform, call-handler" in str(result.exception)
