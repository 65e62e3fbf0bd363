"""An erased customer id is a tombstone for the web API too: 410 Gone with a problem document,
and one refused-attempt audit line without personal data."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connector.privacy.erase import erase_customer, request_erasure
from connector.store import TenantStore
from connector.web import create_app
from connector.web.settings import WebSettings
from tests.web.read_api_builders import LIST_1, add_members, person, seed_lists, write_field_maps

BOOTSTRAP = "bootstrap-operator-token-for-tests"
ACTIVITY = {
    "id": "6f1c9a52-2b43-4a51-9a0e-9d7a7f3c0001",
    "kind": "call",
    "prospect_crm_id": "003000000000001AAA",
    "occurred_at": "2026-11-02T15:00:00Z",
}
ROUTES = [
    pytest.param("GET", f"/api/customers/acme/call-lists/{LIST_1}/prospects", id="read-api"),
    pytest.param("GET", "/api/customers/acme/call-lists", id="call-lists"),
    pytest.param("POST", "/api/customers/acme/activities", id="activities"),
    pytest.param("GET", "/api/customers/acme", id="fleet-status"),
    pytest.param("POST", "/api/customers/acme/pause", id="fleet-pause"),
]


def no_revoke(_engine: Engine, _customer: str) -> None:
    return None


@pytest.fixture
def client(sqlite_engine: Engine, tmp_path: Path) -> TestClient:
    store = seed_lists(sqlite_engine, "acme")
    add_members(store, LIST_1, [person(n) for n in range(1, 4)])
    seed_lists(sqlite_engine, "globex")
    request_erasure(sqlite_engine, "acme", "cli:ops")
    erase_customer(sqlite_engine, "acme", revoke=no_revoke)
    settings = WebSettings(
        operator_token=SecretStr(BOOTSTRAP),
        field_maps_dir=write_field_maps(tmp_path / "maps", "acme", "globex"),
    )
    return TestClient(create_app(sqlite_engine, web_settings=settings))


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_route_naming_an_erased_customer_answers_gone_and_audits_only_the_attempt(
    client: TestClient, sqlite_engine: Engine, method: str, path: str
) -> None:
    body = [ACTIVITY] if path.endswith("/activities") else None
    if path.endswith("/pause"):
        body = {"reason": "maintenance"}  # type: ignore[assignment]
    headers = {"Authorization": f"Bearer {BOOTSTRAP}"}

    answer = client.request(method, path, headers=headers, json=body)

    assert answer.status_code == 410, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["status"] == 410
    assert "was erased on" in problem["detail"] and "cli:ops" in problem["detail"]
    store = TenantStore(sqlite_engine, "acme")
    counts = {table: n for table, n in store.table_counts().items() if n}
    assert counts == {"audit_events": 1}
    (event,) = store.audit_events()
    assert event.action == "refused_erased"
    assert event.actor.startswith("operator:token-")
    assert event.detail is not None and "/api/customers/{customer}" in event.detail


def test_without_credentials_an_erased_customer_is_not_revealed_nor_audited(
    client: TestClient, sqlite_engine: Engine
) -> None:
    answer = client.get(f"/api/customers/acme/call-lists/{LIST_1}/prospects")

    assert answer.status_code == 401
    assert TenantStore(sqlite_engine, "acme").table_counts()["audit_events"] == 0


def test_another_customer_is_still_served(client: TestClient) -> None:
    answer = client.get(
        "/api/customers/globex/call-lists", headers={"Authorization": f"Bearer {BOOTSTRAP}"}
    )
    assert answer.status_code == 200
