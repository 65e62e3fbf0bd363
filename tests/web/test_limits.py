"""Limits on every route: body size while reading, rate limits, and a log line per refusal."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connector.store import TenantStore
from connector.web import create_app
from connector.web.guard import customer_in_path
from connector.web.settings import WebSettings
from tests.web.conftest import LOOPBACK, MASTER_SECRET, connect_customer
from tests.web.soap_samples import outbound_message


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body streamed in chunks, with no Content-Length (chunked transfer encoding)."""
    sent = 0
    while sent < total:
        yield b"[" if sent == 0 else b" "
        yield b" " * (size - 1)
        sent += size


def app_with(engine: Engine, **settings: object) -> TestClient:
    web = WebSettings(webhook_secret=SecretStr(MASTER_SECRET), **settings)  # type: ignore[arg-type]
    return TestClient(create_app(engine, web_settings=web), client=LOOPBACK)


@pytest.mark.parametrize(
    "path",
    ["/api/customers/acme/activities", "/hooks/acme/resync", "/hooks/salesforce/acme"],
)
def test_given_streamed_body_over_the_limit_then_413_before_parsing(
    sqlite_engine: Engine, path: str
) -> None:
    connect_customer(sqlite_engine)
    client = app_with(sqlite_engine, max_body_bytes=100_000)
    response = client.post(path, content=chunks(2_000_000))
    assert response.status_code == 413
    assert TenantStore(sqlite_engine, "acme").pending_resyncs() == []


def test_given_declared_length_over_the_limit_then_413_on_any_route(sqlite_engine: Engine) -> None:
    client = app_with(sqlite_engine, max_body_bytes=1_000)
    for path in ("/api/customers/acme/activities", "/healthz", "/no/such/route"):
        response = client.post(path, content=b" " * 1_001)
        assert response.status_code == 413, path
        assert response.headers["content-type"] == "application/problem+json"


def test_given_a_client_over_its_rate_then_429_with_retry_after(sqlite_engine: Engine) -> None:
    client = app_with(sqlite_engine, rate_limit_client="3/minute")
    assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/healthz")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    other = TestClient(client.app, client=("127.0.0.2", 1))
    assert other.get("/healthz").status_code == 200


def test_given_many_clients_naming_one_customer_then_the_customer_limit_applies(
    sqlite_engine: Engine,
) -> None:
    connect_customer(sqlite_engine)
    client = app_with(sqlite_engine, rate_limit_customer="2/minute")
    statuses = [
        TestClient(client.app, client=(f"127.0.0.{n}", 1))
        .post("/hooks/salesforce/acme", content=outbound_message())
        .status_code
        for n in range(1, 5)
    ]
    assert statuses == [200, 200, 429, 429]
    other = TestClient(client.app, client=("127.0.0.9", 1))
    assert other.get("/api/customers/globex/runs").status_code == 404  # another customer


@pytest.mark.parametrize(
    ("path", "customer"),
    [
        ("/api/customers/acme/runs", "acme"),
        ("/api/customers/acme", "acme"),
        ("/hooks/salesforce/acme", "acme"),
        ("/hooks/acme/resync", "acme"),
        ("/healthz", None),
        ("/metrics", None),
    ],
)
def test_customer_in_path(path: str, customer: str | None) -> None:
    assert customer_in_path(path) == customer


def test_refused_requests_are_logged_with_client_route_and_reason_without_secrets(
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="connector.web.guard")
    token = "operator-token-" + "7" * 32
    client = app_with(
        sqlite_engine, operator_token=SecretStr(token), rate_limit_client="100/minute"
    )
    client.get("/api/customers/acme/runs", headers={"Authorization": "Bearer wrong-token"})
    client.post("/hooks/acme/resync", content=b"{}", headers={"X-Connector-Signature": "x"})
    lines = [r.getMessage() for r in caplog.records if r.name == "connector.web.guard"]
    assert lines == [
        "refused GET /api/customers/{customer}/runs from 127.0.0.1: 401 "
        "the bearer token is not valid",
        "refused POST /hooks/{customer}/resync from 127.0.0.1: 401 "
        "X-Connector-Timestamp and X-Connector-Signature are required",
    ]
    assert all("wrong-token" not in line and token not in line for line in lines)
