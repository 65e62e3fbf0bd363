"""The platform records activities over HTTP; they join the outbox, exactly once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from connector.store import TenantStore
from connector.store.models import Activity, AuditEvent

ACTIVITY = {
    "id": "2b0f3d5e-9d1a-4a53-8d7e-2f1c0b9e6a11",
    "kind": "call",
    "prospect_crm_id": "0035g0000000001AAA",
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


def test_out_of_range_values_are_refused_not_errors(client: TestClient) -> None:
    for bad in (
        {"occurred_at": "9999-12-31T23:00:00-05:00"},
        {"occurred_at": "0001-01-01T00:30:00+01:00"},
        {"duration_seconds": 10**30},
        {"duration_seconds": 3_000_000_000},
    ):
        response = client.post("/api/customers/acme/activities", json=[{**ACTIVITY, **bad}])
        assert response.status_code == 422, (bad, response.text)


def test_a_paused_customer_accepts_no_activities(client: TestClient, sqlite_engine: Engine) -> None:
    TenantStore(sqlite_engine, "acme").set_customer_status("paused", "erasure due")

    assert client.post("/api/customers/acme/activities", json=[ACTIVITY]).status_code == 409
    assert TenantStore(sqlite_engine, "acme").count(Activity) == 0


def test_activities_about_a_forgotten_person_are_dropped(
    client: TestClient, sqlite_engine: Engine
) -> None:
    from connector.privacy.forget import forget_subject
    from connector.privacy.subjects import parse_subject

    store = TenantStore(sqlite_engine, "acme")
    forget_subject(store, parse_subject("crm_id", ACTIVITY["prospect_crm_id"][:15]), "cli:ops")

    response = client.post("/api/customers/acme/activities", json=[ACTIVITY])

    assert response.status_code == 202
    assert response.json()["suppressed"] == 1
    assert store.count(Activity) == 0


def test_the_audit_trail_names_the_operator_token_that_posted(sqlite_engine: Engine) -> None:
    from pydantic import SecretStr

    from connector.web import create_app
    from connector.web.access import token_fingerprint
    from connector.web.settings import WebSettings
    from tests.web.conftest import LOOPBACK, connect_customer

    token = "platform-token-" + "5" * 32
    connect_customer(sqlite_engine)
    settings = WebSettings(operator_token=SecretStr(token))
    client = TestClient(create_app(sqlite_engine, web_settings=settings), client=LOOPBACK)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post(
        "/api/customers/acme/activities", json=[ACTIVITY], headers=headers
    ).is_success
    (event,) = [
        e
        for e in TenantStore(sqlite_engine, "acme").audit_events()
        if e.action == "activities_import"
    ]
    assert event.actor == f"operator:{token_fingerprint(token)}"
    assert token not in event.actor and event.actor != "web:platform"


def test_without_a_token_the_audit_trail_names_a_loopback_operator(
    client: TestClient, sqlite_engine: Engine
) -> None:
    client.post("/api/customers/acme/activities", json=[ACTIVITY])
    actors = {e.actor for e in TenantStore(sqlite_engine, "acme").audit_events()}
    assert "operator:loopback" in actors and "web:platform" not in actors
