"""Connecting a customer: first token, then the connection stored with its secrets encrypted.

Used by `connector auth jwt`, `connector auth login`, connect links and the demo, so every way
of connecting stores the same thing: login and instance URLs, org and user ids, and only
encrypted secrets.
"""

from __future__ import annotations

from collections.abc import Collection

from connector.crm.salesforce.oauth_jwt import fetch_jwt_token, load_private_key
from connector.crm.salesforce.tls import check_crm_url
from connector.crm.salesforce.token_endpoint import DEFAULT_TIMEOUT, TokenResponse
from connector.errors import AuthError
from connector.store.connections import ConnectionsMixin
from connector.store.models import Connection, utcnow
from connector.vault import Vault


def save_new_connection(
    store: ConnectionsMixin,
    vault: Vault,
    connection: Connection,
    token: TokenResponse,
    extra_hosts: Collection[str] = (),
) -> None:
    """Store the connection and its first tokens, all encrypted, in one transaction."""
    connection.access_token_enc = vault.encrypt(token.access_token)
    if token.refresh_token:
        connection.refresh_token_enc = vault.encrypt(token.refresh_token)
    connection.instance_url = check_crm_url(
        token.instance_url, what="instance URL", extra_hosts=extra_hosts
    )
    connection.organization_id = token.organization_id
    connection.user_id = token.user_id
    store.save_connection(connection)


def save_web_connection(
    store: ConnectionsMixin,
    vault: Vault,
    token: TokenResponse,
    *,
    login_url: str,
    client_id: str,
    ca_bundle: str | None = None,
    extra_hosts: Collection[str] = (),
) -> None:
    """Store the connection a web-server flow (with PKCE) made: `auth login` and connect links.

    Raises AuthError when Salesforce returned no refresh token (the app lacks the scope).
    """
    if not token.refresh_token:
        raise AuthError(
            "Salesforce returned no refresh token; add the 'refresh_token, offline_access' "
            "scope to the connected app and connect again",
            code="no_refresh_token",
            customer=store.customer_id,
        )
    connection = Connection(
        customer_id=store.customer_id,
        auth="web",
        login_url=login_url,
        client_id=client_id,
        ca_bundle=ca_bundle,
        connected_at=utcnow(),
    )
    save_new_connection(store, vault, connection, token, extra_hosts)


def connect_jwt(
    store: ConnectionsMixin,
    vault: Vault,
    *,
    login_url: str,
    client_id: str,
    username: str,
    private_key_pem: str,
    audience: str | None = None,
    ca_bundle: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    extra_hosts: Collection[str] = (),
) -> TokenResponse:
    """Prove the JWT bearer grant works, then store the connection (key encrypted).

    Raises ConfigError (URL or key), AuthError (Salesforce refused), CrmTransient.
    """
    login = check_crm_url(login_url, what="login URL", extra_hosts=extra_hosts)
    load_private_key(private_key_pem)
    token = fetch_jwt_token(
        login_url=login,
        client_id=client_id,
        username=username,
        private_key_pem=private_key_pem,
        audience=audience,
        ca_bundle=ca_bundle,
        timeout=timeout,
        customer=store.customer_id,
        extra_hosts=extra_hosts,
    )
    connection = Connection(
        customer_id=store.customer_id,
        auth="jwt",
        login_url=login,
        client_id=client_id,
        username=username,
        audience=audience,
        ca_bundle=ca_bundle,
        private_key_enc=vault.encrypt(private_key_pem),
        connected_at=utcnow(),
    )
    save_new_connection(store, vault, connection, token, extra_hosts)
    return token
