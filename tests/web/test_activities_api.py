"""The platform records activities over HTTP; they join the outbox, exactly once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from connector.store import TenantStore
from connector.store.models import Activity, AuditEvent

ACTIVITY = {
    "id": "2b0f3d5e-9d1a-4a53-8d7e-2f1c0b9e6a11",
    "kind": "call",
    "prospect_crm_id": "0035g00000000AAAAA",
    "occurred_at": "2026-11-02T15:00:00Z",
    "direction": "outbound",
    "duration_seconds": 95,
    "outcome": "Connected",
}


def test_posted_activities_are_queued_once(client: TestClient, sqlite_engine: Engine) -> None:
    first = client.post("/api/customers/acme/activities", json=[ACTIVITY])
    again = client.post("/api/customers/acme/activities", json=[ACTIVITY])

    assert first.status_code == 202, first.text
    assert first.json()["created"] == 1
    assert again.json()["unchanged"] == 1
    store = TenantStore(sqlite_engine, "acme")
    assert store.count(Activity) == 1
    assert store.pending_activity_ids(limit=10) == [ACTIVITY["id"]]
    assert any(e.action == "activities_import" for e in store.audit_events())
    assert store.count(AuditEvent) >= 2


def test_content_fields_are_refused_and_nothing_is_stored(
    client: TestClient, sqlite_engine: Engine
) -> None:
    response = client.post(
        "/api/customers/acme/activities", json=[{**ACTIVITY, "recording_url": "https://x/y.mp3"}]
    )

    assert response.status_code == 422
    assert TenantStore(sqlite_engine, "acme").count(Activity) == 0


def test_an_unknown_customer_is_404(client: TestClient) -> None:
    assert client.post("/api/customers/nobody/activities", json=[ACTIVITY]).status_code == 404
