"""The HTTP boundary of the OAuth endpoints, mocked at the transport with `responses`.

Every mock must be used (`assert_all_requests_are_fired`) and request bodies are checked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
import responses
from auth_helpers import KeyPair
from responses import matchers

from connector.crm.salesforce.oauth_jwt import JWT_BEARER_GRANT, fetch_jwt_token
from connector.crm.salesforce.revoke import revoke_connection
from connector.crm.salesforce.token_store import StoredTokenSource
from connector.errors import AuthError, CrmTransient
from connector.store import TenantStore
from connector.store.models import Connection, Customer
from connector.vault import Vault

LOGIN = "https://login.salesforce.com"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
REVOKE_URL = f"{LOGIN}/services/oauth2/revoke"
INSTANCE = "https://acme.my.salesforce.com"
IDENTITY = f"{LOGIN}/id/00D5g000004XXXXEAA/0055g00000AAAAAAA2"


def token_body(access: str, refresh: str | None = None) -> dict[str, str]:
    body = {
        "access_token": access,
        "instance_url": INSTANCE,
        "id": IDENTITY,
        "token_type": "Bearer",
    }
    if refresh:
        body["refresh_token"] = refresh
    return body


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def _web_connection(store: TenantStore, vault: Vault, refresh: str, access: str | None) -> None:
    store.save_connection(
        Connection(
            customer_id="acme",
            auth="web",
            login_url=LOGIN,
            client_id="3MVG9-client",
            refresh_token_enc=vault.encrypt(refresh),
            access_token_enc=vault.encrypt(access) if access else None,
            instance_url=INSTANCE if access else None,
        )
    )


def test_given_a_jwt_grant_when_salesforce_accepts_then_the_org_is_learned_from_the_id(
    http: responses.RequestsMock, key_pair: KeyPair
) -> None:
    call = http.post(TOKEN_URL, json=token_body("00D5g!access-one"))
    token = fetch_jwt_token(
        login_url=LOGIN,
        client_id="3MVG9-client",
        username="u@acme.example",
        private_key_pem=key_pair.private_pem,
    )
    form = parse_qs(call.calls[0].request.body)
    assert form["grant_type"] == [JWT_BEARER_GRANT]
    assert len(form["assertion"][0].split(".")) == 3
    assert set(form) == {"grant_type", "assertion"}
    assert token.organization_id == "00D5g000004XXXXEAA"
    assert token.user_id == "0055g00000AAAAAAA2"
    assert token.instance_url == INSTANCE
    assert "access-one" not in repr(token)


@pytest.mark.parametrize(
    ("description", "fix"),
    [
        ("user hasn't approved this consumer", "pre-authorized"),
        ("audience is invalid", "--audience"),
        ("invalid assertion", "certificate"),
    ],
)
def test_given_a_refused_jwt_grant_then_auth_error_carries_code_and_fix(
    http: responses.RequestsMock, key_pair: KeyPair, description: str, fix: str
) -> None:
    http.post(
        TOKEN_URL, status=400, json={"error": "invalid_grant", "error_description": description}
    )
    with pytest.raises(AuthError) as caught:
        fetch_jwt_token(
            login_url=LOGIN, client_id="c", username="u", private_key_pem=key_pair.private_pem
        )
    assert caught.value.code == "invalid_grant"
    assert fix in str(caught.value)


def test_a_5xx_without_an_oauth_error_is_transient(
    http: responses.RequestsMock, key_pair: KeyPair
) -> None:
    http.post(TOKEN_URL, status=503, body="<html>down</html>")
    with pytest.raises(CrmTransient):
        fetch_jwt_token(
            login_url=LOGIN, client_id="c", username="u", private_key_pem=key_pair.private_pem
        )


def test_given_rotation_when_refreshing_then_the_new_refresh_token_is_stored_before_use(
    http: responses.RequestsMock, store: TenantStore, vault: Vault
) -> None:
    _web_connection(store, vault, refresh="refresh-old-0001", access="access-old-0001")
    http.post(
        TOKEN_URL,
        json=token_body("access-new-0002", refresh="refresh-new-0002"),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": "refresh-old-0001",
                    "client_id": "3MVG9-client",
                }
            )
        ],
    )
    source = StoredTokenSource(store, vault)
    assert source.access_token() == "access-old-0001"
    assert source.refresh("access-old-0001") == "access-new-0002"

    saved = store.get_connection()
    assert saved is not None
    assert vault.decrypt(saved.refresh_token_enc or "") == "refresh-new-0002"
    assert vault.decrypt(saved.access_token_enc or "") == "access-new-0002"
    assert "refresh-new-0002" not in (saved.refresh_token_enc or "")
    assert saved.organization_id == "00D5g000004XXXXEAA"
    assert source.instance_url == INSTANCE


def test_given_a_token_stored_meanwhile_when_refreshing_then_it_is_reused_without_a_call(
    http: responses.RequestsMock, store: TenantStore, vault: Vault
) -> None:
    _web_connection(store, vault, refresh="refresh-old-0001", access="access-old-0001")
    source = StoredTokenSource(store, vault)
    assert source.access_token() == "access-old-0001"
    store.save_tokens(access_token_enc=vault.encrypt("access-by-another-worker"))
    assert source.refresh("access-old-0001") == "access-by-another-worker"


def test_given_invalid_grant_on_refresh_then_the_customer_needs_a_reconnect(
    http: responses.RequestsMock, store: TenantStore, vault: Vault
) -> None:
    _web_connection(store, vault, refresh="refresh-old-0001", access="access-old-0001")
    http.post(
        TOKEN_URL,
        status=400,
        json={"error": "invalid_grant", "error_description": "expired access/refresh token"},
    )
    with pytest.raises(AuthError) as caught:
        StoredTokenSource(store, vault).refresh("access-old-0001")
    assert caught.value.code == "invalid_grant"
    assert "reconnect needed" in str(caught.value)
    assert "refresh-old-0001" not in str(caught.value)
    customer = store.get_customer()
    assert isinstance(customer, Customer)
    assert customer.status == "reconnect_needed"
    assert "expired access/refresh token" in (customer.status_reason or "")
    saved = store.get_connection()
    assert saved is not None
    assert (saved.refresh_token_enc, saved.access_token_enc) == (None, None)  # dead tokens go


def test_given_no_connection_then_the_token_source_says_how_to_connect(
    store: TenantStore, vault: Vault
) -> None:
    with pytest.raises(AuthError, match="connector auth"):
        StoredTokenSource(store, vault).access_token()


def test_revoke_posts_the_refresh_token_then_deletes_the_secrets(
    http: responses.RequestsMock, store: TenantStore, vault: Vault
) -> None:
    _web_connection(store, vault, refresh="refresh-old-0001", access="access-old-0001")
    http.post(REVOKE_URL, match=[matchers.urlencoded_params_matcher({"token": "refresh-old-0001"})])
    outcome = revoke_connection(store, vault, "acme")
    assert outcome.revoked == "refresh_token"
    assert outcome.secrets_deleted == 2
    saved = store.get_connection()
    assert saved is not None
    assert (saved.refresh_token_enc, saved.access_token_enc) == (None, None)
    customer = store.get_customer()
    assert customer is not None and customer.status == "reconnect_needed"


def test_revoke_deletes_local_secrets_even_when_salesforce_is_down(
    http: responses.RequestsMock, store: TenantStore, vault: Vault
) -> None:
    _web_connection(store, vault, refresh="refresh-old-0001", access=None)
    http.post(REVOKE_URL, status=503)
    outcome = revoke_connection(store, vault)
    assert outcome.revoked is None
    assert outcome.remote_error
    assert outcome.secrets_deleted == 1


def test_given_two_workers_refreshing_at_once_then_salesforce_is_asked_once(
    http: responses.RequestsMock, store: TenantStore, vault: Vault
) -> None:
    _web_connection(store, vault, refresh="refresh-old-0001", access="access-old-0001")
    call = http.post(TOKEN_URL, json=token_body("access-new-0002", refresh="refresh-new-0002"))
    workers = [StoredTokenSource(store, vault) for _ in range(4)]
    results: list[str] = []
    barrier = threading.Barrier(len(workers))

    def work(source: StoredTokenSource) -> None:
        barrier.wait()
        results.append(source.refresh("access-old-0001"))

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert results == ["access-new-0002"] * 4
    assert call.call_count == 1
