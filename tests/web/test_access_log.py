"""`connector serve`'s access log: one line per request, with no token, query or path id."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connector.logs import JsonFormatter
from connector.web import create_app
from connector.web.settings import WebSettings
from tests.helpers.servers import connector_command, free_port
from tests.web.conftest import LOOPBACK, connect_customer


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "connector.access"]


def test_each_request_is_one_line_with_route_status_and_actor_never_its_secrets(
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    token = "operator-token-" + secrets.token_hex(16)
    connect_customer(sqlite_engine, "acme")
    app = create_app(sqlite_engine, web_settings=WebSettings(operator_token=SecretStr(token)))
    client = TestClient(app, raise_server_exceptions=False, client=LOOPBACK)
    caplog.set_level(logging.INFO, logger="connector.access")
    query_secret = secrets.token_hex(8)

    ok = client.get(
        f"/api/customers/acme?signature={query_secret}",
        headers={"Authorization": f"Bearer {token}"},
    )
    refused = client.get("/api/customers", headers={"Authorization": "Bearer wrong"})
    missing = client.get("/no/such/page")

    assert (ok.status_code, refused.status_code, missing.status_code) == (200, 401, 404)
    records = access_records(caplog)
    assert len(records) == 3
    fields = [r.access for r in records]  # type: ignore[attr-defined]
    assert [(f["method"], f["route"], f["status"]) for f in fields] == [
        ("GET", "/api/customers/{customer}", 200),
        ("GET", "/api/customers", 401),
        ("GET", "(no route)", 404),
    ]
    assert fields[0]["actor"].startswith("operator:token-") and fields[1]["actor"] == "-"
    assert all(f["duration_ms"] >= 0 for f in fields)
    text = "\n".join(r.getMessage() for r in records) + json.dumps(fields)
    for secret in (token, query_secret, "wrong", "acme", "/no/such/page"):
        assert secret not in text


def test_the_json_form_carries_the_access_fields(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connector.access")
    assert client.get("/healthz").status_code == 200

    [record] = access_records(caplog)
    line = json.loads(JsonFormatter().format(record))
    assert {"method", "route", "status", "duration_ms", "actor"} <= set(line)
    assert line["logger"] == "connector.access" and line["level"] == "info"


def test_connector_serve_writes_the_access_log_as_json_lines(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "CONNECTOR_LOG_FORMAT": "json",
        "CONNECTOR_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
    }
    server = subprocess.Popen(
        connector_command("serve", "--port", str(port)),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/healthz?key=not-logged", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)  # waiting for the server to listen, not for a result
        assert reply.status_code == 200
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "connector.access"]
    assert access, stderr
    assert access[-1]["route"] == "/healthz" and access[-1]["status"] == 200
    assert access[-1]["method"] == "GET" and access[-1]["actor"] == "-"
    assert "not-logged" not in stderr
