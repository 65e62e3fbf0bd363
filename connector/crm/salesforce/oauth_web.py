"""The web-server flow with PKCE (S256), and the refresh-token grant it enables.

`connector auth login` builds the authorize URL (authlib's `OAuth2Session`), opens it in a
browser (or prints it), and waits on a one-shot loopback listener (`callback.py`) for
Salesforce's redirect. It then checks `state` and trades the code plus the PKCE verifier for
tokens. No client secret is needed: the connected app is a public client protected by PKCE.

Errors: `AuthError` (denied, state mismatch, timeout, refused exchange), `ConfigError` (TLS rule,
listener port busy), `CrmTransient` (Salesforce unreachable).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import requests
from authlib.integrations.requests_client import OAuth2Session

from connector.crm.salesforce.callback import CallbackListener
from connector.crm.salesforce.oauth_errors import to_auth_error
from connector.crm.salesforce.tls import check_crm_url
from connector.crm.salesforce.token_endpoint import DEFAULT_TIMEOUT, TokenResponse, request_token
from connector.errors import AuthError, register_secret

AUTHORIZE_PATH = "/services/oauth2/authorize"
SCOPES = "api refresh_token offline_access id"
DEFAULT_PORT = 8765
CALLBACK_PATH = "/callback"


@dataclass(frozen=True)
class AuthorizationRequest:
    """The authorize URL to open, plus what the callback and the exchange must check."""

    url: str
    redirect_uri: str
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)


def redirect_uri_for(port: int) -> str:
    """The loopback callback URL registered on the connected app for `port`."""
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


def build_authorization_request(
    login_url: str,
    client_id: str,
    redirect_uri: str,
    *,
    scope: str = SCOPES,
    extra_hosts: Collection[str] = (),
) -> AuthorizationRequest:
    """A fresh authorize URL with a random `state` and an S256 code challenge."""
    login = check_crm_url(login_url, what="login URL", extra_hosts=extra_hosts)
    authorize_url = login + AUTHORIZE_PATH
    verifier = secrets.token_urlsafe(64)
    state = secrets.token_urlsafe(24)
    register_secret(verifier)
    client = OAuth2Session(
        client_id, redirect_uri=redirect_uri, scope=scope, code_challenge_method="S256"
    )
    url, _ = client.create_authorization_url(authorize_url, state=state, code_verifier=verifier)
    return AuthorizationRequest(
        url=url, redirect_uri=redirect_uri, state=state, code_verifier=verifier
    )


def exchange_code(
    *,
    login_url: str,
    client_id: str,
    code: str,
    code_verifier: str,
    redirect_uri: str,
    ca_bundle: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    http: requests.Session | None = None,
    customer: str | None = None,
    extra_hosts: Collection[str] = (),
) -> TokenResponse:
    """Trade an authorization code and its PKCE verifier for access and refresh tokens."""
    register_secret(code)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    return request_token(
        login_url,
        form,
        verify=ca_bundle or True,
        timeout=timeout,
        http=http,
        customer=customer,
        extra_hosts=extra_hosts,
    )


def refresh_grant(
    *,
    login_url: str,
    client_id: str,
    refresh_token: str,
    client_secret: str | None = None,
    ca_bundle: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    http: requests.Session | None = None,
    customer: str | None = None,
    extra_hosts: Collection[str] = (),
) -> TokenResponse:
    """A new access token (and, with rotation on, a new refresh token) for `refresh_token`."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    if client_secret:
        form["client_secret"] = client_secret
    return request_token(
        login_url,
        form,
        verify=ca_bundle or True,
        timeout=timeout,
        http=http,
        customer=customer,
        extra_hosts=extra_hosts,
    )


def run_web_login(
    *,
    login_url: str,
    client_id: str,
    port: int = DEFAULT_PORT,
    timeout: float = 300.0,
    open_url: Callable[[str], object] | None = None,
    ca_bundle: str | None = None,
    http_timeout: float = DEFAULT_TIMEOUT,
    http: requests.Session | None = None,
    customer: str | None = None,
    extra_hosts: Collection[str] = (),
) -> TokenResponse:
    """Run the whole browser flow and return the tokens.

    The listener is bound before `open_url(url)` is called, so whatever follows the URL (a
    browser, or a test's HTTP client) finds it waiting. `port=0` picks a free port, useful
    only when the app accepts any loopback port.
    """
    with CallbackListener(port=port, path=CALLBACK_PATH) as listener:
        request = build_authorization_request(
            login_url, client_id, redirect_uri_for(listener.port), extra_hosts=extra_hosts
        )
        if open_url is not None:
            open_url(request.url)
        result = listener.wait(timeout)
    if result is None:
        raise AuthError(
            f"no answer from the browser within {timeout:.0f} s; run `connector auth login` "
            "again (use --timeout to wait longer)",
            code="timeout",
            customer=customer,
        )
    # the state is checked first: an error from a forged redirect must not end the login
    sent = request.state.encode("utf-8")
    if not result.state or not secrets.compare_digest(result.state.encode("utf-8"), sent):
        raise AuthError(
            "the callback's state does not match this login (a stale or forged redirect); "
            "run `connector auth login` again",
            code="state_mismatch",
            customer=customer,
        )
    if result.error:
        raise to_auth_error(result.error, result.error_description or "", customer=customer)
    if not result.code:
        raise AuthError("the callback carried no authorization code", code="no_code")
    return exchange_code(
        login_url=login_url,
        client_id=client_id,
        code=result.code,
        code_verifier=request.code_verifier,
        redirect_uri=request.redirect_uri,
        ca_bundle=ca_bundle,
        timeout=http_timeout,
        http=http,
        customer=customer,
        extra_hosts=extra_hosts,
    )
