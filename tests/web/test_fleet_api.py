"""`GET /api/customers` (paged, trouble first) and pause/resume through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connector.store import TenantStore
from connector.web import create_app
from connector.web.settings import WebSettings
from tests.web.conftest import connect_customer


def test_the_fleet_is_listed_trouble_first_and_paged(
    client: TestClient, sqlite_engine: Engine
) -> None:
    for customer in ("bravo", "charlie"):
        connect_customer(sqlite_engine, customer, org=None)
    TenantStore(sqlite_engine, "charlie").mark_reconnect_needed("invalid_grant")

    pages = [client.get("/api/customers?limit=2").json()]
    while pages[-1]["next_offset"] is not None:
        pages.append(client.get(f"/api/customers?limit=2&offset={pages[-1]['next_offset']}").json())

    listed = [c["customer"] for page in pages for c in page["customers"]]
    assert listed[0] == "charlie" and pages[0]["customers"][0]["state"] == "reconnect_needed"
    assert set(listed) >= {"acme", "bravo", "charlie", "demo"}
    assert len(listed) == len(set(listed)) == pages[0]["total"]
    assert all(len(page["customers"]) <= 2 for page in pages) and len(pages) >= 2


def test_pause_and_resume_through_the_api_show_in_the_customer_status(
    client: TestClient,
) -> None:
    paused = client.post("/api/customers/acme/pause", json={"reason": "org migration"})
    assert paused.status_code == 200 and paused.json()["changed"] is True
    status = client.get("/api/customers/acme").json()
    assert (status["state"], status["reason"]) == ("paused", "org migration")
    assert status["paused_by"] == "operator:loopback"  # no token configured: loopback only

    assert client.post("/api/customers/acme/resume").json()["changed"] is True
    assert client.get("/api/customers/acme").json()["state"] == "active"


def test_pause_needs_a_reason_and_a_known_customer(client: TestClient) -> None:
    assert client.post("/api/customers/acme/pause", json={}).status_code == 422
    assert client.post("/api/customers/acme/pause", json={"reason": ""}).status_code == 422
    unknown = client.post("/api/customers/nosuch/pause", json={"reason": "x"})
    assert unknown.status_code == 404


def test_the_fleet_endpoints_require_the_operator_token(sqlite_engine: Engine) -> None:
    settings = WebSettings(operator_token=SecretStr("operator-token-" + "9" * 32))
    client = TestClient(create_app(sqlite_engine, web_settings=settings))
    connect_customer(sqlite_engine)
    assert client.get("/api/customers").status_code == 401
    assert client.post("/api/customers/acme/pause", json={"reason": "x"}).status_code == 401
    good = {"Authorization": "Bearer operator-token-" + "9" * 32}
    assert client.get("/api/customers", headers=good).status_code == 200


def test_the_customer_view_carries_the_report_run_budget_of_the_last_pull(
    client: TestClient, sqlite_engine: Engine
) -> None:
    assert client.get("/api/customers/acme").json()["report_runs"] is None
    store = TenantStore(sqlite_engine, "acme")
    run = store.start_run("pull", trigger="schedule")
    run.status, run.finished_at = "succeeded", run.started_at
    run.report_runs_remaining, run.report_runs_max = 410, 500
    store.save_run(run)

    got = client.get("/api/customers/acme").json()["report_runs"]
    assert (got["used"], got["left"], got["limit"]) == (90, 410, 500)
    listed = client.get("/api/customers").json()["customers"]
    assert next(c for c in listed if c["customer"] == "acme")["report_runs"]["used"] == 90
