"""Salesforce OAuth without passwords: the public surface of the auth modules.

    tls.py             the TLS rule for login and instance URLs
    oauth_errors.py    Salesforce's OAuth refusals -> AuthError with a fix (pure table)
    token_endpoint.py  POST /token and /revoke, parse the answer (TokenResponse)
    oauth_jwt.py       JWT bearer: sign the RS256 assertion, fetch a token
    oauth_web.py       web-server flow with PKCE, loopback callback, refresh grant
    callback.py        the one-shot loopback listener
    token_store.py     StoredTokenSource: tokens encrypted in the store, serialized refresh
    revoke.py          revoke_connection: revoke remotely, delete secrets, flag the customer

The username-password grant is deliberately absent.
"""

from __future__ import annotations

from connector.crm.salesforce.oauth_jwt import default_audience, fetch_jwt_token, sign_assertion
from connector.crm.salesforce.oauth_web import (
    SCOPES,
    build_authorization_request,
    exchange_code,
    refresh_grant,
    run_web_login,
)
from connector.crm.salesforce.revoke import RevokeOutcome, revoke_connection
from connector.crm.salesforce.tls import check_crm_url
from connector.crm.salesforce.token_endpoint import TokenResponse, revoke_token
from connector.crm.salesforce.token_store import StoredTokenSource, obtain_token, save_token

__all__ = [
    "SCOPES",
    "RevokeOutcome",
    "StoredTokenSource",
    "TokenResponse",
    "build_authorization_request",
    "check_crm_url",
    "default_audience",
    "exchange_code",
    "fetch_jwt_token",
    "obtain_token",
    "refresh_grant",
    "revoke_connection",
    "revoke_token",
    "run_web_login",
    "save_token",
    "sign_assertion",
]
