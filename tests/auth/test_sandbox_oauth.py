"""End to end against the sandbox org: JWT, web flow with PKCE, rotation, expiry, revocation.

The sandbox runs over TLS on loopback in a thread (see conftest). Every flow goes through the
real HTTP stack; keys and certificates are generated here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import requests
from auth_helpers import INTEGRATION_USER, KeyPair, Sandbox, free_port, make_key_pair
from sqlalchemy.engine import Engine

from connector.crm.salesforce.connect import connect_jwt, save_new_connection
from connector.crm.salesforce.oauth_jwt import fetch_jwt_token
from connector.crm.salesforce.oauth_web import redirect_uri_for, refresh_grant, run_web_login
from connector.crm.salesforce.revoke import revoke_connection
from connector.crm.salesforce.token_endpoint import TokenResponse
from connector.crm.salesforce.token_store import StoredTokenSource
from connector.errors import AuthError
from connector.store import TenantStore
from connector.store.models import Connection
from connector.vault import Vault

JWT_CLIENT = "3MVG9-sandbox-jwt-app"
WEB_CLIENT = "3MVG9-sandbox-web-app"


def userinfo(sandbox: Sandbox, instance_url: str, token: str) -> requests.Response:
    return requests.get(
        f"{instance_url}/services/oauth2/userinfo",
        headers={"Authorization": f"Bearer {token}"},
        verify=sandbox.ca_path,
        timeout=10,
    )


def limits(sandbox: Sandbox, instance_url: str, token: str) -> requests.Response:
    """A REST call: answers 401 INVALID_SESSION_ID for an expired or revoked token."""
    return requests.get(
        f"{instance_url}/services/data/v59.0/limits",
        headers={"Authorization": f"Bearer {token}"},
        verify=sandbox.ca_path,
        timeout=10,
    )


def call_with_refresh(sandbox: Sandbox, source: StoredTokenSource) -> dict[str, Any]:
    """What the Salesforce session does: one call, and on 401 refresh once and retry once.

    Returns the userinfo of the token that finally worked.
    """
    token = source.access_token()
    response = limits(sandbox, source.instance_url, token)
    if response.status_code == 401:
        token = source.refresh(token)
        response = limits(sandbox, source.instance_url, token)
    response.raise_for_status()
    info = userinfo(sandbox, source.instance_url, token)
    info.raise_for_status()
    return dict(info.json())


def register_jwt_app(sandbox: Sandbox, keys: KeyPair, users: list[str] | None = None) -> None:
    from connector.sandbox import ConnectedApp

    sandbox.org.register_app(
        ConnectedApp(
            client_id=JWT_CLIENT,
            jwt_certificate_pem=keys.certificate_pem,
            pre_authorized_usernames=[INTEGRATION_USER] if users is None else users,
        )
    )


def register_web_app(sandbox: Sandbox, port: int, *, rotate: bool) -> None:
    from connector.sandbox import ConnectedApp

    sandbox.org.register_app(
        ConnectedApp(
            client_id=WEB_CLIENT,
            redirect_uris=[redirect_uri_for(port)],
            rotate_refresh_tokens=rotate,
        )
    )


def browser(sandbox: Sandbox) -> Any:
    """Follow the authorize URL like a browser: the sandbox consents and redirects to us."""

    def open_url(url: str) -> None:
        response = requests.get(url, verify=sandbox.ca_path, timeout=10, allow_redirects=True)
        assert response.status_code == 200, response.text[:200]

    return open_url


def web_login(sandbox: Sandbox, store: TenantStore, vault: Vault, port: int) -> TokenResponse:
    token = run_web_login(
        login_url=sandbox.base_url,
        client_id=WEB_CLIENT,
        port=port,
        timeout=20,
        open_url=browser(sandbox),
        ca_bundle=sandbox.ca_path,
        customer=store.customer_id,
    )
    connection = Connection(
        customer_id=store.customer_id,
        auth="web",
        login_url=sandbox.base_url,
        client_id=WEB_CLIENT,
        ca_bundle=sandbox.ca_path,
    )
    save_new_connection(store, vault, connection, token)
    return token


def jwt_connect(sandbox: Sandbox, store: TenantStore, vault: Vault, keys: KeyPair) -> TokenResponse:
    return connect_jwt(
        store,
        vault,
        login_url=sandbox.base_url,
        client_id=JWT_CLIENT,
        username=INTEGRATION_USER,
        private_key_pem=keys.private_pem,
        ca_bundle=sandbox.ca_path,
    )


def test_jwt_bearer_flow_connects_and_learns_the_org(
    sandbox: Sandbox, store: TenantStore, vault: Vault, key_pair: KeyPair
) -> None:
    register_jwt_app(sandbox, key_pair)
    token = jwt_connect(sandbox, store, vault, key_pair)

    assert token.refresh_token is None
    assert token.instance_url == sandbox.base_url.rstrip("/")
    saved = store.get_connection()
    assert saved is not None
    assert saved.organization_id == token.organization_id == sandbox.org.organization_id
    assert vault.decrypt(saved.private_key_enc or "") == key_pair.private_pem
    info = call_with_refresh(sandbox, StoredTokenSource(store, vault))
    assert info["organization_id"] == token.organization_id


def test_jwt_for_a_user_who_never_approved_the_app_is_refused_with_the_fix(
    sandbox: Sandbox, key_pair: KeyPair
) -> None:
    register_jwt_app(sandbox, key_pair, users=[])
    with pytest.raises(AuthError) as caught:
        fetch_jwt_token(
            login_url=sandbox.base_url,
            client_id=JWT_CLIENT,
            username=INTEGRATION_USER,
            private_key_pem=key_pair.private_pem,
            ca_bundle=sandbox.ca_path,
        )
    assert caught.value.code == "invalid_grant"
    assert "Fix:" in str(caught.value)


def test_jwt_signed_with_another_key_is_an_invalid_assertion(
    sandbox: Sandbox, key_pair: KeyPair
) -> None:
    register_jwt_app(sandbox, key_pair)
    with pytest.raises(AuthError) as caught:
        fetch_jwt_token(
            login_url=sandbox.base_url,
            client_id=JWT_CLIENT,
            username=INTEGRATION_USER,
            private_key_pem=make_key_pair("intruder").private_pem,
            ca_bundle=sandbox.ca_path,
        )
    assert caught.value.code == "invalid_grant"


def test_jwt_with_a_wrong_audience_is_refused(sandbox: Sandbox, key_pair: KeyPair) -> None:
    register_jwt_app(sandbox, key_pair)
    with pytest.raises(AuthError) as caught:
        fetch_jwt_token(
            login_url=sandbox.base_url,
            client_id=JWT_CLIENT,
            username=INTEGRATION_USER,
            private_key_pem=key_pair.private_pem,
            audience="https://elsewhere.example.com",
            ca_bundle=sandbox.ca_path,
        )
    assert caught.value.code == "invalid_grant"
    assert "--audience" in str(caught.value)


def test_web_flow_with_pkce_through_the_loopback_listener(
    sandbox: Sandbox, store: TenantStore, vault: Vault
) -> None:
    port = free_port()
    register_web_app(sandbox, port, rotate=False)
    token = web_login(sandbox, store, vault, port)

    assert token.refresh_token
    assert token.organization_id == sandbox.org.organization_id
    saved = store.get_connection()
    assert saved is not None and saved.auth == "web"
    assert vault.decrypt(saved.refresh_token_enc or "") == token.refresh_token
    assert userinfo(sandbox, token.instance_url, token.access_token).ok


def test_refresh_with_rotation_stores_the_new_token_and_the_old_one_stops_working(
    sandbox: Sandbox, store: TenantStore, vault: Vault
) -> None:
    port = free_port()
    register_web_app(sandbox, port, rotate=True)
    first = web_login(sandbox, store, vault, port)
    assert first.refresh_token

    source = StoredTokenSource(store, vault)
    renewed = source.refresh(first.access_token)

    saved = store.get_connection()
    assert saved is not None
    new_refresh = vault.decrypt(saved.refresh_token_enc or "")
    assert new_refresh != first.refresh_token
    assert vault.decrypt(saved.access_token_enc or "") == renewed
    assert first.refresh_token not in (saved.refresh_token_enc or "")
    with pytest.raises(AuthError) as caught:
        refresh_grant(
            login_url=sandbox.base_url,
            client_id=WEB_CLIENT,
            refresh_token=first.refresh_token,
            ca_bundle=sandbox.ca_path,
        )
    assert caught.value.code == "invalid_grant"
    assert userinfo(sandbox, source.instance_url, renewed).ok


@pytest.mark.parametrize("flow", ["jwt", "web"])
def test_an_expired_access_token_is_refreshed_transparently(
    flow: str, sandbox: Sandbox, store: TenantStore, vault: Vault, key_pair: KeyPair
) -> None:
    if flow == "jwt":
        register_jwt_app(sandbox, key_pair)
        first = jwt_connect(sandbox, store, vault, key_pair)
    else:
        port = free_port()
        register_web_app(sandbox, port, rotate=True)
        first = web_login(sandbox, store, vault, port)
    source = StoredTokenSource(store, vault)
    assert source.access_token() == first.access_token

    sandbox.org.expire_all_access_tokens()
    info = call_with_refresh(sandbox, source)

    assert info["organization_id"] == sandbox.org.organization_id
    assert source.access_token() != first.access_token
    saved = store.get_connection()
    assert saved is not None
    assert vault.decrypt(saved.access_token_enc or "") == source.access_token()


def test_a_revoked_refresh_token_marks_the_customer_for_reconnect(
    sandbox: Sandbox, store: TenantStore, vault: Vault
) -> None:
    port = free_port()
    register_web_app(sandbox, port, rotate=False)
    first = web_login(sandbox, store, vault, port)
    requests.post(
        f"{sandbox.base_url}/services/oauth2/revoke",
        data={"token": first.refresh_token},
        verify=sandbox.ca_path,
        timeout=10,
    ).raise_for_status()

    with pytest.raises(AuthError) as caught:
        StoredTokenSource(store, vault).refresh(first.access_token)
    assert caught.value.code == "invalid_grant"
    customer = store.get_customer()
    assert customer is not None and customer.status == "reconnect_needed"


def test_revoke_connection_revokes_at_salesforce_and_forgets_the_secrets(
    sandbox: Sandbox, store: TenantStore, vault: Vault
) -> None:
    port = free_port()
    register_web_app(sandbox, port, rotate=False)
    first = web_login(sandbox, store, vault, port)

    outcome = revoke_connection(store, vault, "acme")

    assert outcome.revoked == "refresh_token"
    assert outcome.remote_error is None
    assert limits(sandbox, first.instance_url, first.access_token).status_code == 401
    with pytest.raises(AuthError):
        refresh_grant(
            login_url=sandbox.base_url,
            client_id=WEB_CLIENT,
            refresh_token=first.refresh_token or "",
            ca_bundle=sandbox.ca_path,
        )
    saved = store.get_connection()
    assert saved is not None
    assert not (saved.refresh_token_enc or saved.access_token_enc or saved.private_key_enc)
    customer = store.get_customer()
    assert customer is not None and customer.status == "reconnect_needed"


def test_no_token_or_key_is_stored_or_logged_in_plain_text(
    sandbox: Sandbox,
    sqlite_engine: Engine,
    store: TenantStore,
    vault: Vault,
    key_pair: KeyPair,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    register_jwt_app(sandbox, key_pair)
    seen.append(jwt_connect(sandbox, store, vault, key_pair).access_token)
    web_store = TenantStore(sqlite_engine, "beta")
    port = free_port()
    register_web_app(sandbox, port, rotate=True)
    first = web_login(sandbox, web_store, vault, port)
    seen += [first.access_token, first.refresh_token or ""]
    source = StoredTokenSource(web_store, vault)
    seen.append(source.refresh(first.access_token))
    saved = web_store.get_connection()
    assert saved is not None
    seen.append(vault.decrypt(saved.refresh_token_enc or ""))
    sandbox.org.expire_all_access_tokens()
    jwt_source = StoredTokenSource(store, vault)
    call_with_refresh(sandbox, jwt_source)
    seen.append(jwt_source.access_token())
    jwt_saved = store.get_connection()
    assert jwt_saved is not None
    seen.append(vault.decrypt(jwt_saved.access_token_enc or ""))
    key_body = "".join(key_pair.private_pem.splitlines()[1:-1])
    secrets = [s for s in seen if s] + [key_body[:64], key_body[-64:]]
    assert len(set(secrets)) >= 7

    sqlite_engine.dispose()
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("store.db*"))
    assert b"connections" in raw
    for secret in secrets:
        assert secret.encode() not in raw
        assert secret not in caplog.text
        # the token without its org prefix, too
        assert secret.split("!")[-1].encode() not in raw
