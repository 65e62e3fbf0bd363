"""Fail closed: secrets too short to be secret, an open operator API, a server on the network."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from connector.cli import app as cli
from connector.errors import ConfigError
from connector.store import TenantStore
from connector.web import create_app
from connector.web.settings import WebSettings, load_web_settings
from connector.web.startup import check_bind, startup_line
from tests.web.conftest import LOOPBACK

TOKEN = "operator-token-" + "0" * 32


@pytest.mark.parametrize("variable", ["CONNECTOR_OPERATOR_TOKEN", "CONNECTOR_WEBHOOK_SECRET"])
@pytest.mark.parametrize("value", ["", "   ", "short-secret"])
def test_given_empty_or_short_secret_then_a_config_error_names_the_variable_and_minimum(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_web_settings()
    message = str(caught.value)
    assert variable in message and "at least 32 characters" in message
    if value.strip():
        assert value not in message


def test_given_bad_allowed_network_or_rate_then_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONNECTOR_HOOK_ALLOWED_NETWORKS", "13.108.0.0/14,not-a-network")
    with pytest.raises(ConfigError, match="CONNECTOR_HOOK_ALLOWED_NETWORKS"):
        load_web_settings()
    monkeypatch.delenv("CONNECTOR_HOOK_ALLOWED_NETWORKS")
    monkeypatch.setenv("CONNECTOR_RATE_LIMIT_CLIENT", "lots")
    with pytest.raises(ConfigError, match="CONNECTOR_RATE_LIMIT_CLIENT"):
        load_web_settings()


def test_given_empty_operator_token_then_the_app_cannot_be_built(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_OPERATOR_TOKEN", "")
    with pytest.raises(ConfigError):
        create_app(sqlite_engine)


def test_given_no_operator_token_then_api_answers_loopback_clients_only(
    sqlite_engine: Engine,
) -> None:
    TenantStore(sqlite_engine, "acme").ensure_customer()
    app = create_app(sqlite_engine, web_settings=WebSettings())
    remote = TestClient(app, client=("203.0.113.9", 40000))
    for path in ("/api/customers/acme/runs", "/metrics"):
        assert remote.get(path).status_code == 401, path
    assert remote.post("/api/customers/acme/activities", json=[]).status_code == 401
    local = TestClient(app, client=LOOPBACK)
    assert local.get("/api/customers/acme/runs").status_code == 200


def test_given_operator_token_then_a_request_without_authorization_never_passes(
    sqlite_engine: Engine,
) -> None:
    TenantStore(sqlite_engine, "acme").ensure_customer()
    settings = WebSettings(operator_token=SecretStr(TOKEN))
    client = TestClient(create_app(sqlite_engine, web_settings=settings), client=LOOPBACK)
    for headers in (
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer "},
        {"Authorization": TOKEN},
    ):
        assert client.get("/api/customers/acme/runs", headers=headers).status_code == 401
    ok = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/api/customers/acme/runs", headers=ok).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "connector.example.com"])  # noqa: S104
def test_given_non_loopback_host_without_operator_token_then_serve_refuses(host: str) -> None:
    with pytest.raises(ConfigError, match="CONNECTOR_OPERATOR_TOKEN"):
        check_bind(host, WebSettings())
    check_bind(host, WebSettings(operator_token=SecretStr(TOKEN)))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_given_loopback_host_then_serve_may_start_without_operator_token(host: str) -> None:
    check_bind(host, WebSettings())


def test_serve_command_refuses_to_listen_on_all_interfaces_without_a_token() -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "0"])  # noqa: S104
    assert result.exit_code != 0
    assert "CONNECTOR_OPERATOR_TOKEN" in str(result.exception) + result.output


def test_startup_line_says_where_it_listens_and_which_protections_are_on() -> None:
    open_line = startup_line("127.0.0.1", 8000, WebSettings())
    assert "http://127.0.0.1:8000" in open_line
    assert "operator API: off (loopback clients only)" in open_line
    assert "signed webhooks: off" in open_line and "/docs: off" in open_line
    guarded = WebSettings(
        operator_token=SecretStr(TOKEN),
        webhook_secret=SecretStr(TOKEN),
        hook_allowed_networks="13.108.0.0/14,2a01:111::/32",  # type: ignore[arg-type]
    )
    line = startup_line("::", 9000, guarded)
    assert "http://[::]:9000" in line and "operator API: token" in line
    assert "signed webhooks: on" in line and "2 network(s)" in line
    assert TOKEN not in line


def test_docs_and_openapi_are_off_by_default_and_declare_the_bearer_scheme_when_on(
    sqlite_engine: Engine,
) -> None:
    client = TestClient(create_app(sqlite_engine, web_settings=WebSettings()), client=LOOPBACK)
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 404
    on = TestClient(create_app(sqlite_engine, web_settings=WebSettings(docs=True)))
    schema = on.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["operator"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "CONNECTOR_OPERATOR_TOKEN or a token from `connector tokens issue`.",
    }
    runs = schema["paths"]["/api/customers/{customer}/runs"]["get"]
    assert runs["security"] == [{"operator": []}]
