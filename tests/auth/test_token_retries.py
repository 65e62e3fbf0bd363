"""Passing trouble at the token endpoint is retried like any transient answer; only a refused
grant means reconnect. Mocked at the transport (`responses`, every mock used, in order)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from auth_helpers import KeyPair
from responses.registries import OrderedRegistry

from connector.crm.salesforce.oauth_jwt import fetch_jwt_token
from connector.crm.salesforce.session import SalesforceSession
from connector.crm.salesforce.token_store import StoredTokenSource
from connector.errors import AuthError, CrmTransient
from connector.store import TenantStore
from connector.store.models import Connection
from connector.vault import Vault

LOGIN = "https://login.salesforce.com"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
INSTANCE = "https://acme.my.salesforce.com"
QUERY = f"{INSTANCE}/services/data/v59.0/query/"
OK = {"totalSize": 0, "done": True, "records": []}
EXPIRED = [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]


def oauth_error(error: str, description: str = "") -> dict[str, str]:
    return {"error": error, "error_description": description}


def fresh_token(access: str) -> dict[str, str]:
    return {"access_token": access, "instance_url": INSTANCE, "id": f"{LOGIN}/id/00D/005"}


def connect_web(store: TenantStore, vault: Vault) -> None:
    store.save_connection(
        Connection(
            customer_id="acme",
            auth="web",
            login_url=LOGIN,
            client_id="3MVG9-client",
            refresh_token_enc=vault.encrypt("refresh-token-0001"),
            access_token_enc=vault.encrypt("access-old-0001"),
            instance_url=INSTANCE,
        )
    )


def session_for(store: TenantStore, vault: Vault, sleeps: list[float]) -> SalesforceSession:
    tokens = StoredTokenSource(store, vault)
    return SalesforceSession(tokens, customer="acme", sleep=sleeps.append, max_wait=5.0)


def query(session: SalesforceSession) -> Any:
    return session.call("query", lambda sf: sf.query("SELECT Id FROM Contact"))


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (503, oauth_error("server_unavailable", "Server temporarily unavailable"), {}),
        (503, "<html>down for maintenance</html>", {}),
        (500, oauth_error("unknown_error", "retry your request"), {}),
        (502, {}, {}),
        (429, oauth_error("request_limit_exceeded", "too many requests"), {"Retry-After": "3"}),
        (400, oauth_error("unknown_error", "retry your request"), {}),
    ],
)
@responses.activate(registry=OrderedRegistry)
def test_given_a_passing_token_endpoint_failure_then_it_is_transient_not_a_reconnect(
    key_pair: KeyPair, status: int, body: Any, headers: dict[str, str]
) -> None:
    if isinstance(body, str):
        responses.post(TOKEN_URL, status=status, body=body, headers=headers)
    else:
        responses.post(TOKEN_URL, status=status, json=body, headers=headers)

    with pytest.raises(CrmTransient) as caught:
        fetch_jwt_token(
            login_url=LOGIN, client_id="c", username="u", private_key_pem=key_pair.private_pem
        )
    assert "reconnect" not in str(caught.value)
    assert caught.value.status == status
    if "Retry-After" in headers:
        assert caught.value.retry_after == 3.0


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, "invalid_grant"),
        (400, "invalid_client_id"),
        (401, "invalid_client"),
        (400, "inactive_user"),
        (503, "invalid_grant"),  # a refused grant stays refused, whatever the status
    ],
)
@responses.activate(registry=OrderedRegistry)
def test_given_a_refused_grant_then_it_is_an_auth_error(
    key_pair: KeyPair, status: int, error: str
) -> None:
    responses.post(TOKEN_URL, status=status, json=oauth_error(error, "refused"))
    with pytest.raises(AuthError) as caught:
        fetch_jwt_token(
            login_url=LOGIN, client_id="c", username="u", private_key_pem=key_pair.private_pem
        )
    assert caught.value.code == error


@responses.activate(registry=OrderedRegistry)
def test_given_503_503_200_from_the_token_endpoint_when_refreshing_then_the_call_succeeds(
    store: TenantStore, vault: Vault
) -> None:
    connect_web(store, vault)
    responses.get(QUERY, json=EXPIRED, status=401)
    unavailable = oauth_error("server_unavailable", "Server temporarily unavailable")
    responses.post(TOKEN_URL, json=unavailable, status=503)
    responses.post(TOKEN_URL, json=unavailable, status=503)
    responses.post(TOKEN_URL, json=fresh_token("access-new-0002"))
    answered = responses.get(QUERY, json=OK)
    sleeps: list[float] = []

    assert query(session_for(store, vault, sleeps)) == OK

    assert len(sleeps) == 2
    assert answered.calls[0].request.headers["Authorization"] == "Bearer access-new-0002"
    assert vault.decrypt(store.get_connection().access_token_enc or "") == "access-new-0002"  # type: ignore[union-attr]
    customer = store.get_customer()
    assert customer is not None and customer.status != "reconnect_needed"


@responses.activate(registry=OrderedRegistry)
def test_given_a_429_with_retry_after_from_the_token_endpoint_then_the_wait_honours_it(
    store: TenantStore, vault: Vault
) -> None:
    connect_web(store, vault)
    responses.get(QUERY, json=EXPIRED, status=401)
    responses.post(
        TOKEN_URL,
        json=oauth_error("request_limit_exceeded"),
        status=429,
        headers={"Retry-After": "4"},
    )
    responses.post(TOKEN_URL, json=fresh_token("access-new-0002"))
    responses.get(QUERY, json=OK)
    sleeps: list[float] = []

    assert query(session_for(store, vault, sleeps)) == OK
    assert len(sleeps) == 1 and sleeps[0] >= 4


@responses.activate(registry=OrderedRegistry)
def test_given_the_token_endpoint_stays_down_then_the_call_gives_up_as_transient(
    store: TenantStore, vault: Vault
) -> None:
    connect_web(store, vault)
    responses.get(QUERY, json=EXPIRED, status=401)
    for _ in range(3):
        responses.post(TOKEN_URL, json=oauth_error("server_unavailable"), status=503)
    sleeps: list[float] = []
    tokens = StoredTokenSource(store, vault)
    session = SalesforceSession(tokens, customer="acme", sleep=sleeps.append, max_attempts=3)

    with pytest.raises(CrmTransient):
        query(session)
    assert len(sleeps) == 2
    customer = store.get_customer()
    assert customer is not None and customer.status != "reconnect_needed"


@responses.activate(registry=OrderedRegistry)
def test_given_a_timeout_then_a_connection_error_from_the_token_endpoint_then_it_retries(
    store: TenantStore, vault: Vault
) -> None:
    connect_web(store, vault)
    responses.get(QUERY, json=EXPIRED, status=401)
    responses.post(TOKEN_URL, body=requests.ReadTimeout("read timed out"))
    responses.post(TOKEN_URL, body=requests.ConnectionError("connection refused"))
    responses.post(TOKEN_URL, json=fresh_token("access-new-0002"))
    responses.get(QUERY, json=OK)
    sleeps: list[float] = []

    assert query(session_for(store, vault, sleeps)) == OK
    assert len(sleeps) == 2
