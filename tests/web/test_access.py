"""Scoped, expiring tokens: what each role may touch, and every use in the audit trail."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connector.errors import ConfigError
from connector.store import TenantStore
from connector.store.models import utcnow
from connector.store.tokens import TokenStore, hash_token
from connector.web import create_app
from connector.web.access import Principal, decide
from connector.web.settings import WebSettings
from tests.web.conftest import connect_customer

BOOTSTRAP = "bootstrap-operator-token-for-tests"
#: The bootstrap admin as `authorize` names it (by the token's fingerprint).
ADMIN = Principal(role="admin", name="token-0123456789ab")


@pytest.fixture
def tokens(sqlite_engine: Engine) -> TokenStore:
    return TokenStore(sqlite_engine)


@pytest.fixture
def secured(sqlite_engine: Engine) -> TestClient:
    connect_customer(sqlite_engine, "acme")
    connect_customer(sqlite_engine, "globex")
    settings = WebSettings(operator_token=SecretStr(BOOTSTRAP))
    return TestClient(create_app(sqlite_engine, web_settings=settings))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue(tokens: TokenStore, role: str, customer: str = "acme", **kwargs: object) -> str:
    options: dict = {"name": f"{role}-1", "ttl": timedelta(hours=8), "created_by": "test"}
    options.update(kwargs)
    return tokens.issue(role=role, customer_id=customer, **options).plaintext


CALL_HANDLER = Principal("call-handler", "ch", customer="acme", call_list="00O000000000001AAA")


@pytest.mark.parametrize(
    ("principal", "scope", "customer", "call_list", "allowed"),
    [
        (ADMIN, "metrics:read", None, None, True),
        (ADMIN, "prospects:read", "globex", None, True),
        (Principal("operator", "o", customer="acme"), "status:read", "acme", None, True),
        (Principal("operator", "o", customer="acme"), "status:read", "globex", None, False),
        (Principal("operator", "o", customer="acme"), "metrics:read", None, None, False),
        (Principal("platform", "p", customer="acme"), "status:read", "acme", None, False),
        (Principal("platform", "p", customer="acme"), "activities:write", "acme", None, True),
        (CALL_HANDLER, "prospects:read", "acme", "00O000000000001AAA", True),
        (CALL_HANDLER, "prospects:read", "acme", None, True),
        (CALL_HANDLER, "prospects:read", "acme", "00O000000000002AAA", False),
        (CALL_HANDLER, "prospects:read", "globex", "00O000000000001AAA", False),
        (CALL_HANDLER, "activities:write", "acme", None, False),
        (CALL_HANDLER, "status:read", "acme", None, False),
        (CALL_HANDLER, "metrics:read", None, None, False),
    ],
)
def test_decide_table(
    principal: Principal, scope: str, customer: str | None, call_list: str | None, allowed: bool
) -> None:
    assert (decide(principal, scope, customer, call_list) is None) is allowed  # type: ignore[arg-type]


def test_given_an_issued_token_then_only_its_hash_is_stored(
    tokens: TokenStore, sqlite_engine: Engine
) -> None:
    plaintext = issue(tokens, "operator")
    (record,) = tokens.list()
    assert record.token_hash == hash_token(plaintext)
    assert plaintext not in json.dumps(record.model_dump(mode="json"))
    raw = sqlite_engine.raw_connection()
    try:
        rows = raw.execute("SELECT * FROM access_tokens").fetchall()
    finally:
        raw.close()
    assert plaintext not in repr(rows)


@pytest.mark.parametrize(
    ("role", "kwargs", "message"),
    [
        ("root", {}, "unknown role"),
        ("operator", {"ttl": timedelta(0)}, "lifetime"),
        ("operator", {"ttl": timedelta(days=91)}, "lifetime"),
        ("operator", {"call_list": "00O000000000001AAA"}, "call-handler tokens only"),
        ("call-handler", {"call_list": "not a report"}, "not a report id"),
        ("operator", {"name": "has space"}, "invalid token name"),
    ],
)
def test_given_a_bad_request_then_issue_refuses(
    tokens: TokenStore, role: str, kwargs: dict, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        issue(tokens, role, **kwargs)


def test_given_a_live_token_with_that_name_then_issue_refuses(tokens: TokenStore) -> None:
    issue(tokens, "operator", name="dup")
    with pytest.raises(ConfigError, match="already named"):
        issue(tokens, "platform", name="dup")


def test_given_an_operator_token_for_acme_then_status_of_acme_only(
    secured: TestClient, tokens: TokenStore
) -> None:
    token = issue(tokens, "operator")
    assert secured.get("/api/customers/acme", headers=bearer(token)).status_code == 200
    assert secured.get("/api/customers/globex", headers=bearer(token)).status_code == 403
    assert secured.get("/metrics", headers=bearer(token)).status_code == 403


def test_given_a_call_handler_token_then_status_metrics_and_activities_are_refused(
    secured: TestClient, tokens: TokenStore
) -> None:
    token = issue(tokens, "call-handler")
    assert secured.get("/api/customers/acme", headers=bearer(token)).status_code == 403
    assert secured.get("/metrics", headers=bearer(token)).status_code == 403
    posted = secured.post("/api/customers/acme/activities", json=[], headers=bearer(token))
    assert posted.status_code == 403


def test_given_the_bootstrap_token_then_every_customer_is_open(secured: TestClient) -> None:
    assert secured.get("/api/customers/globex", headers=bearer(BOOTSTRAP)).status_code == 200


@pytest.mark.parametrize("sent", ["", "cnt_unknown_token", "operator-token"])
def test_given_an_unknown_token_then_401(secured: TestClient, sent: str) -> None:
    response = secured.get("/api/customers/acme", headers=bearer(sent))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_given_an_expired_token_then_401(secured: TestClient, tokens: TokenStore) -> None:
    token = issue(tokens, "operator", now=utcnow() - timedelta(hours=9))
    response = secured.get("/api/customers/acme", headers=bearer(token))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_given_a_revoked_token_then_401(secured: TestClient, tokens: TokenStore) -> None:
    token = issue(tokens, "operator", name="leaving")
    assert secured.get("/api/customers/acme", headers=bearer(token)).status_code == 200
    assert tokens.revoke("leaving", revoked_by="test") == 1
    response = secured.get("/api/customers/acme", headers=bearer(token))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_every_use_of_a_token_is_audited_with_its_name(
    secured: TestClient, tokens: TokenStore, sqlite_engine: Engine
) -> None:
    token = issue(tokens, "operator", name="night-shift")
    secured.get("/api/customers/acme", headers=bearer(token))
    secured.get("/api/customers/globex", headers=bearer(token))
    tokens.revoke("night-shift", revoked_by="test")
    secured.get("/api/customers/acme", headers=bearer(token))
    events = [
        e for e in TenantStore(sqlite_engine, "acme").audit_events() if e.action == "api_access"
    ]
    assert {e.actor for e in events} == {"token:night-shift"}
    outcomes = sorted(json.loads(e.detail or "{}")["outcome"] for e in events)
    assert outcomes == ["allowed", "refused", "refused:revoked"]
    assert all(token not in (e.detail or "") for e in events)
