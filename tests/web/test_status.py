"""Operator endpoints: health, a customer's status and runs (no personal data), metrics."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connector.store import TenantStore
from connector.web import create_app
from connector.web.settings import WebSettings
from tests.web.soap_samples import outbound_message


def test_healthz_says_ok_when_the_store_answers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_runs_are_listed_newest_first_with_counters_and_no_personal_data(
    client: TestClient, sqlite_engine: Engine
) -> None:
    store = TenantStore(sqlite_engine, "acme")
    run = store.start_run("pull", trigger="resync", full=True)
    run.status, run.rows_read, run.error_code = "failed", 12, "INVALID_FIELD"
    run.error = "row for ada@example.com rejected"
    store.save_run(run)
    response = client.get("/api/customers/acme/runs")
    assert response.status_code == 200
    (listed,) = response.json()["runs"]
    assert listed["run_id"] == run.run_id
    assert (listed["trigger"], listed["full"], listed["status"]) == ("resync", True, "failed")
    assert listed["rows_read"] == 12 and listed["error_code"] == "INVALID_FIELD"
    assert listed["started_at"].endswith("Z")
    assert "ada@example.com" not in response.text and "error" not in listed


def test_customer_status_shows_schedule_and_pending_resyncs(
    client: TestClient, sqlite_engine: Engine
) -> None:
    TenantStore(sqlite_engine, "acme").record_resync("r1", "webhook")
    body = client.get("/api/customers/acme").json()
    assert body["status"] == "active" and body["pending_resyncs"] == 1
    assert body["next_due_at"] is None and body["consecutive_failures"] == 0


def test_unknown_or_invalid_customer_is_a_404_problem(client: TestClient) -> None:
    for path in ("/api/customers/initech/runs", "/api/customers/NOPE!/runs", "/api/customers/x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


def test_bad_query_is_a_422_problem_not_a_500(client: TestClient) -> None:
    response = client.get("/api/customers/acme/runs?limit=zero")
    assert response.status_code == 422
    assert response.json()["status"] == 422


def test_given_operator_token_then_api_and_metrics_require_it(sqlite_engine: Engine) -> None:
    settings = WebSettings(operator_token=SecretStr("operator-token-0123456789abcdef0123456789"))
    client = TestClient(create_app(sqlite_engine, web_settings=settings))
    TenantStore(sqlite_engine, "acme").ensure_customer()
    assert client.get("/api/customers/acme/runs").status_code == 401
    assert client.get("/metrics").status_code == 401
    good = {"Authorization": "Bearer operator-token-0123456789abcdef0123456789"}
    assert client.get("/api/customers/acme/runs", headers=good).status_code == 200
    assert client.get("/metrics", headers=good).status_code == 200
    assert client.get("/healthz").status_code == 200  # probes need no token


def test_metrics_count_hooks_in_prometheus_text_format(client: TestClient) -> None:
    client.post("/hooks/salesforce/acme", content=outbound_message())
    client.post("/hooks/salesforce/acme", content=outbound_message())
    client.post("/hooks/salesforce/acme", content=b"<x/>")
    client.post("/hooks/acme/resync", content=json.dumps({}).encode())
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "# TYPE connector_hook_requests_total counter" in lines
    assert 'connector_hook_requests_total{hook="salesforce",outcome="accepted"} 1.0' in lines
    assert 'connector_hook_requests_total{hook="salesforce",outcome="duplicate"} 1.0' in lines
    assert 'connector_hook_requests_total{hook="salesforce",outcome="refused"} 1.0' in lines
    assert 'connector_hook_requests_total{hook="webhook",outcome="refused"} 1.0' in lines
    assert 'connector_resync_requests_recorded_total{source="outbound_message"} 1.0' in lines
    assert any(line.startswith('connector_http_responses_total{status="2xx"}') for line in lines)
