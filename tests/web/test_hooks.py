"""The resync hooks over HTTP: outbound messages and signed webhooks, accepted or refused."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from connector.store import TenantStore
from connector.web.signing import customer_secret, sign
from tests.web.conftest import MASTER_SECRET, connect_customer
from tests.web.soap_samples import (
    BILLION_LAUGHS,
    ORG_ID,
    external_entity,
    outbound_message,
)

XML = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
ACK_PATH = (
    "{http://schemas.xmlsoap.org/soap/envelope/}Body/"
    "{http://soap.sforce.com/2005/09/outbound}notificationsResponse/"
    "{http://soap.sforce.com/2005/09/outbound}Ack"
)


def pending(engine: Engine, customer: str = "acme") -> list[str]:
    return [r.request_id for r in TenantStore(engine, customer).pending_resyncs()]


def is_fault(body: bytes) -> bool:
    return fromstring(body).find(".//faultstring") is not None


# outbound messages ----------------------------------------------------------------------


def test_given_outbound_message_from_the_connected_org_then_acked_and_resync_recorded(
    client: TestClient, sqlite_engine: Engine
) -> None:
    response = client.post("/hooks/salesforce/acme", content=outbound_message(), headers=XML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert fromstring(response.content).findtext(ACK_PATH) == "true"
    assert pending(sqlite_engine) == ["04l5g00000XXXXXAAA"]


def test_given_redelivered_notification_then_acked_again_but_recorded_once(
    client: TestClient, sqlite_engine: Engine
) -> None:
    for _ in range(3):
        assert client.post("/hooks/salesforce/acme", content=outbound_message()).status_code == 200
    assert pending(sqlite_engine) == ["04l5g00000XXXXXAAA"]


def test_given_15_character_org_id_then_it_matches_the_18_character_connection(
    client: TestClient, sqlite_engine: Engine
) -> None:
    body = outbound_message(org_id=ORG_ID[:15])
    assert client.post("/hooks/salesforce/acme", content=body).status_code == 200


def test_given_message_from_another_org_then_refused_with_403_fault_and_nothing_recorded(
    client: TestClient, sqlite_engine: Engine
) -> None:
    body = outbound_message(org_id="00D5g000004YYYYEAA")
    response = client.post("/hooks/salesforce/acme", content=body, headers=XML)
    assert response.status_code == 403 and is_fault(response.content)
    assert pending(sqlite_engine) == []


def test_given_customer_connected_to_no_known_org_then_messages_are_refused(
    client: TestClient, sqlite_engine: Engine
) -> None:
    connect_customer(sqlite_engine, "globex", org=None)
    response = client.post("/hooks/salesforce/globex", content=outbound_message())
    assert response.status_code == 403
    assert pending(sqlite_engine, "globex") == []


@pytest.mark.parametrize("customer", ["initech", "Not A Customer", "x"])
def test_given_unknown_or_invalid_customer_then_404_fault(
    client: TestClient, customer: str
) -> None:
    response = client.post(f"/hooks/salesforce/{customer}", content=outbound_message())
    assert response.status_code == 404 and is_fault(response.content)


def test_given_billion_laughs_then_400_fault_without_expansion(
    client: TestClient, sqlite_engine: Engine
) -> None:
    started = time.monotonic()
    response = client.post("/hooks/salesforce/acme", content=BILLION_LAUGHS, headers=XML)
    assert response.status_code == 400 and is_fault(response.content)
    assert time.monotonic() - started < 2
    assert b"lol" not in response.content and len(response.content) < 1000
    assert pending(sqlite_engine) == []


def test_given_external_entity_then_400_fault_and_the_file_is_never_read(
    client: TestClient, sqlite_engine: Engine, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("00D5g000004XXXXEAA-top-secret")
    response = client.post("/hooks/salesforce/acme", content=external_entity(str(secret)))
    assert response.status_code == 400 and is_fault(response.content)
    assert b"top-secret" not in response.content
    assert pending(sqlite_engine) == []


def test_given_oversized_body_then_413(client: TestClient) -> None:
    body = outbound_message() + b" " * 1_100_000
    assert client.post("/hooks/salesforce/acme", content=body).status_code == 413


# signed webhook ------------------------------------------------------------------------


def signed_headers(body: bytes, customer: str = "acme", at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    secret = customer_secret(MASTER_SECRET, customer)
    return {
        "Content-Type": "application/json",
        "X-Connector-Timestamp": str(timestamp),
        "X-Connector-Signature": sign(secret, timestamp, body),
    }


BODY = json.dumps({"reason": "resync button"}).encode()


def test_given_correctly_signed_webhook_then_202_and_resync_recorded(
    client: TestClient, sqlite_engine: Engine
) -> None:
    response = client.post("/hooks/acme/resync", content=BODY, headers=signed_headers(BODY))
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert pending(sqlite_engine) == [response.json()["request_id"]]


def test_given_forged_signature_then_401_and_nothing_recorded(
    client: TestClient, sqlite_engine: Engine
) -> None:
    headers = signed_headers(BODY)
    headers["X-Connector-Signature"] = "sha256=" + "0" * 64
    response = client.post("/hooks/acme/resync", content=BODY, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert pending(sqlite_engine) == []


def test_given_another_customers_secret_then_401(client: TestClient, sqlite_engine: Engine) -> None:
    connect_customer(sqlite_engine, "globex")
    headers = signed_headers(BODY, customer="globex")
    assert client.post("/hooks/acme/resync", content=BODY, headers=headers).status_code == 401


def test_given_stale_timestamp_then_401(client: TestClient, sqlite_engine: Engine) -> None:
    headers = signed_headers(BODY, at=int(time.time()) - 301)
    response = client.post("/hooks/acme/resync", content=BODY, headers=headers)
    assert response.status_code == 401 and "seconds" in response.json()["detail"]
    assert pending(sqlite_engine) == []


def test_given_replayed_webhook_then_409(client: TestClient, sqlite_engine: Engine) -> None:
    headers = signed_headers(BODY)
    assert client.post("/hooks/acme/resync", content=BODY, headers=headers).status_code == 202
    replay = client.post("/hooks/acme/resync", content=BODY, headers=headers)
    assert replay.status_code == 409
    assert len(pending(sqlite_engine)) == 1


def test_given_missing_signature_headers_then_401(client: TestClient) -> None:
    response = client.post("/hooks/acme/resync", content=BODY)
    assert response.status_code == 401


@pytest.mark.parametrize("body", [b"[1, 2]", b"not json", b'"text"'])
def test_given_signed_body_that_is_not_a_json_object_then_400(
    client: TestClient, body: bytes
) -> None:
    response = client.post("/hooks/acme/resync", content=body, headers=signed_headers(body))
    assert response.status_code == 400


def test_given_signed_webhook_for_unknown_customer_then_404(client: TestClient) -> None:
    headers = signed_headers(BODY, customer="initech")
    assert client.post("/hooks/initech/resync", content=BODY, headers=headers).status_code == 404


def test_given_no_webhook_secret_configured_then_503(sqlite_engine: Engine) -> None:
    from connector.web import create_app
    from connector.web.settings import WebSettings

    client = TestClient(create_app(sqlite_engine, web_settings=WebSettings()))
    response = client.post("/hooks/acme/resync", content=BODY, headers=signed_headers(BODY))
    assert response.status_code == 503


# floods, allowed senders and actors ------------------------------------------------------


def notification_ids(message: int) -> tuple[str, ...]:
    return tuple(f"04l5g{message:05d}{n:05d}AAA" for n in range(100))


def test_given_a_flood_of_outbound_messages_then_one_pending_resync(
    client: TestClient, sqlite_engine: Engine
) -> None:
    for message in range(50):
        body = outbound_message(notification_ids=notification_ids(message))
        assert client.post("/hooks/salesforce/acme", content=body).status_code == 200
    assert pending(sqlite_engine) == [notification_ids(0)[0]]


def test_given_a_pending_resync_then_a_signed_webhook_is_coalesced_into_it(
    client: TestClient, sqlite_engine: Engine
) -> None:
    assert client.post("/hooks/salesforce/acme", content=outbound_message()).status_code == 200
    response = client.post("/hooks/acme/resync", content=BODY, headers=signed_headers(BODY))
    assert response.status_code == 202 and response.json()["status"] == "coalesced"
    assert pending(sqlite_engine) == ["04l5g00000XXXXXAAA"]


def test_hooks_are_audited_with_the_sending_org_or_the_webhook_as_actor(
    client: TestClient, sqlite_engine: Engine
) -> None:
    client.post("/hooks/salesforce/acme", content=outbound_message(org_id=ORG_ID[:15]))
    client.post("/hooks/acme/resync", content=BODY, headers=signed_headers(BODY))
    events = TenantStore(sqlite_engine, "acme").audit_events()
    assert {(e.actor, e.action) for e in events} == {
        (f"salesforce:{ORG_ID}", "resync_requested"),
        ("webhook:signed", "resync_requested"),
    }


def test_given_allowed_networks_then_outbound_messages_from_elsewhere_are_refused(
    sqlite_engine: Engine,
) -> None:
    from connector.web import create_app
    from connector.web.settings import WebSettings

    connect_customer(sqlite_engine)
    settings = WebSettings(hook_allowed_networks="13.108.0.0/14, 2a01:111::/32")  # type: ignore[arg-type]
    app = create_app(sqlite_engine, web_settings=settings)
    outside = TestClient(app, client=("203.0.113.7", 1))
    response = outside.post("/hooks/salesforce/acme", content=outbound_message())
    assert response.status_code == 403 and is_fault(response.content)
    assert pending(sqlite_engine) == []
    inside = TestClient(app, client=("13.110.1.2", 1))
    assert inside.post("/hooks/salesforce/acme", content=outbound_message()).status_code == 200
    assert pending(sqlite_engine) == ["04l5g00000XXXXXAAA"]
