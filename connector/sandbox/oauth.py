"""OAuth 2.0 as a Salesforce login host answers it: token grants, authorize, revoke, identity.

Grants on ``POST /services/oauth2/token``:

* JWT bearer: RS256 assertion signed with the key of the app's uploaded certificate;
  ``iss`` = client_id, ``sub`` = a pre-authorized (or previously consenting) username,
  ``aud`` = the sandbox base URL, ``https://login.salesforce.com`` or
  ``https://test.salesforce.com``, ``exp`` (a number or a numeric string) in the future and
  at most 5 minutes ahead.
  Never returns a refresh token.
* authorization_code with PKCE (S256), single-use codes bound to the redirect URI.
* refresh_token, with optional rotation (the old refresh token dies immediately).

Responses carry no ``expires_in``, like Salesforce's; ``signature`` is base64
HMAC-SHA256(client_secret, id + issued_at) when the app has a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import time
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from starlette.responses import Response

from connector.sandbox.errors import OAuthError
from connector.sandbox.oidc import id_token
from connector.sandbox.org import SandboxOrg
from connector.sandbox.tables import Row
from connector.sandbox.tokens import AccessToken, ConnectedApp

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
MAX_ASSERTION_LIFETIME = 300
JWT_SCOPE = "api id"

router = APIRouter()


def org_of(request: Request) -> SandboxOrg:
    org: SandboxOrg = request.app.state.org
    return org


# -- token endpoint ----------------------------------------------------------------------------
@router.post("/services/oauth2/token")
async def token(request: Request) -> Response:
    form = {key: str(value) for key, value in (await request.form()).items()}
    org = org_of(request)
    grant_type = form.get("grant_type", "")
    handlers = {
        JWT_GRANT: jwt_bearer_grant,
        "authorization_code": authorization_code_grant,
        "refresh_token": refresh_token_grant,
    }
    handler = handlers.get(grant_type)
    if handler is None:
        raise OAuthError("unsupported_grant_type", "grant type not supported")
    return JSONResponse(handler(org, form))


def token_response(
    org: SandboxOrg, app: ConnectedApp, session: AccessToken, refresh_token: str | None
) -> dict[str, Any]:
    """The JSON body of a successful grant."""
    base = org.base_url or ""
    issued_at = str(int(session.issued_at * 1000))
    identity = f"{base}/id/{org.organization_id}/{session.user_id}"
    body: dict[str, Any] = {"access_token": session.token}
    if refresh_token:
        body["refresh_token"] = refresh_token
    if app.client_secret:
        digest = hmac.new(
            app.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
        ).digest()
        body["signature"] = base64.b64encode(digest).decode()
    body.update(
        scope=session.scope,
        instance_url=base,
        id=identity,
        token_type="Bearer",  # noqa: S106 - the OAuth token type, not a secret
        issued_at=issued_at,
    )
    return body


def _app(org: SandboxOrg, client_id: str | None) -> ConnectedApp:
    app = org.tokens.app(client_id)
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    return app


def jwt_bearer_grant(org: SandboxOrg, form: dict[str, str]) -> dict[str, Any]:
    """Exchange a signed JWT for an access token (no refresh token)."""
    assertion = form.get("assertion", "")
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_grant", "invalid assertion") from exc
    app = _app(org, unverified.get("iss"))
    if header.get("alg") != "RS256" or app.jwt_certificate_pem is None:
        raise OAuthError("invalid_grant", "invalid assertion")
    try:
        claims = jwt.decode(
            assertion,
            key=_public_key(app.jwt_certificate_pem),
            algorithms=["RS256"],
            options={"verify_aud": False, "verify_exp": False, "verify_iat": False},
        )
    except (jwt.PyJWTError, ValueError) as exc:
        raise OAuthError("invalid_grant", "invalid assertion") from exc
    _check_audience(org, claims.get("aud"))
    _check_expiry(claims.get("exp"))
    username = str(claims.get("prn") or claims.get("sub") or "")
    user = org.user_by_username(username) if username else None
    if user is None or not org.tokens.is_approved(app, username):
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    session = org.tokens.issue_access(app.client_id, user["Id"], JWT_SCOPE, org.access_token_ttl)
    return token_response(org, app, session, None)


def _public_key(pem: bytes) -> Any:
    if b"BEGIN CERTIFICATE" in pem:
        return x509.load_pem_x509_certificate(pem).public_key()
    return load_pem_public_key(pem)


def _check_audience(org: SandboxOrg, audience: Any) -> None:
    accepted = {value.rstrip("/") for value in LOGIN_AUDIENCES}
    if org.base_url:
        accepted.add(org.base_url.rstrip("/"))
    values = audience if isinstance(audience, list) else [audience]
    if not any(isinstance(v, str) and v.rstrip("/") in accepted for v in values):
        raise OAuthError("invalid_grant", "audience is invalid")


def _check_expiry(expires: Any) -> None:
    """``exp`` as a number or a numeric string (simple-salesforce sends ``"1700000000"``)."""
    now = time.time()
    if isinstance(expires, str):
        try:
            expires = float(expires)
        except ValueError:
            raise OAuthError("invalid_grant", "invalid assertion") from None
    if not isinstance(expires, int | float) or isinstance(expires, bool) or expires != expires:
        raise OAuthError("invalid_grant", "invalid assertion")
    if expires <= now or expires > now + MAX_ASSERTION_LIFETIME + 5:
        raise OAuthError("invalid_grant", "invalid assertion")


def _check_secret(app: ConnectedApp, form: dict[str, str]) -> None:
    if app.client_secret is None:
        return
    given = form.get("client_secret", "")
    if not hmac.compare_digest(given.encode(), app.client_secret.encode()):
        raise OAuthError("invalid_client", "invalid client credentials")


def pkce_challenge(verifier: str) -> str:
    """base64url(SHA-256(verifier)) without padding (RFC 7636 S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_code_grant(org: SandboxOrg, form: dict[str, str]) -> dict[str, Any]:
    """Exchange a web-server-flow code (with its PKCE verifier) for tokens."""
    app = _app(org, form.get("client_id"))
    code = org.tokens.code(form.get("code"))
    if code is None or code.client_id != app.client_id:
        raise OAuthError("invalid_grant", "expired authorization code")
    if form.get("redirect_uri") != code.redirect_uri:
        raise OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration")
    _check_secret(app, form)
    if code.code_challenge is not None:
        verifier = form.get("code_verifier", "")
        if not verifier or not hmac.compare_digest(pkce_challenge(verifier), code.code_challenge):
            raise OAuthError("invalid_grant", "invalid code verifier")
    if not org.tokens.use_code(code):
        raise OAuthError("invalid_grant", "expired authorization code")
    user = org.users.peek(code.user_id)
    org.tokens.approve(app.client_id, str(user["Username"]) if user else "")
    scopes = set(code.scope.split())
    refresh = None
    if scopes & {"refresh_token", "offline_access"}:
        refresh = org.tokens.issue_refresh(app.client_id, code.user_id, code.scope).token
    session = org.tokens.issue_access(
        app.client_id, code.user_id, code.scope, org.access_token_ttl, refresh
    )
    body = token_response(org, app, session, refresh)
    if "openid" in scopes and user is not None:
        body["id_token"] = id_token(
            org,
            client_id=app.client_id,
            user=user,
            scope=code.scope,
            access_token=session.token,
            nonce=code.nonce,
        )
    return body


def refresh_token_grant(org: SandboxOrg, form: dict[str, str]) -> dict[str, Any]:
    """Mint a new access token from a refresh token, rotating it when the app says so."""
    grant = org.tokens.refresh_grant(form.get("refresh_token"))
    app = _app(org, form.get("client_id"))
    if grant is None or grant.client_id != app.client_id:
        raise OAuthError("invalid_grant", "expired access/refresh token")
    _check_secret(app, form)
    current = grant.token
    returned = None
    if app.rotate_refresh_tokens:
        returned = org.tokens.issue_refresh(app.client_id, grant.user_id, grant.scope).token
        org.tokens.revoke_refresh_only(grant.token)
        current = returned
    session = org.tokens.issue_access(
        app.client_id, grant.user_id, grant.scope, org.access_token_ttl, current
    )
    return token_response(org, app, session, returned)


# -- revoke ------------------------------------------------------------------------------------
@router.post("/services/oauth2/revoke")
async def revoke(request: Request) -> Response:
    form = await request.form()
    value = str(form.get("token") or request.query_params.get("token") or "")
    return _revoke(org_of(request), value)


@router.get("/services/oauth2/revoke")
async def revoke_get(request: Request) -> Response:
    return _revoke(org_of(request), request.query_params.get("token", ""))


def _revoke(org: SandboxOrg, value: str) -> Response:
    if not value or not org.tokens.revoke(value):
        raise OAuthError("invalid_token", "invalid token")
    return Response(status_code=200)


# -- authorize (browser) -------------------------------------------------------------------------
def _redirect(uri: str, params: dict[str, str]) -> RedirectResponse:
    clean = {key: value for key, value in params.items() if value}
    separator = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{separator}{urlencode(clean)}", status_code=302)


def _error_page(error: str, description: str) -> HTMLResponse:
    body = (
        "<!doctype html><title>Authorization error</title>"
        f"<h1>error={html.escape(error)}</h1><p>{html.escape(description)}</p>"
    )
    return HTMLResponse(body, status_code=400)


def _consent_page(org: SandboxOrg, params: dict[str, str], app: ConnectedApp) -> HTMLResponse:
    """Allow or deny, as a chosen sandbox user (the sandbox asks for no password)."""
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k != "login_hint"
    )
    current = str(_login_user(org, params.get("login_hint")).get("Username", ""))
    options = "".join(
        f'<option value="{html.escape(str(row["Username"]))}"'
        f"{' selected' if row['Username'] == current else ''}>"
        f"{html.escape(str(row['Name']))} ({html.escape(str(row['Username']))})</option>"
        for row in org.users.iter_rows()
        if row.get("IsActive", True)
    )
    body = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Allow access?</title>'
        f"<h1>{html.escape(app.name)} wants to access your Salesforce data</h1>"
        f'<form method="post" action="/services/oauth2/authorize">{hidden}'
        f'<p><label for="login_hint">Sandbox user</label> '
        f'<select id="login_hint" name="login_hint">{options}</select></p>'
        '<button name="decision" value="approve">Allow</button>'
        '<button name="decision" value="deny">Deny</button></form></html>'
    )
    return HTMLResponse(body)


def _check_authorize(org: SandboxOrg, params: dict[str, str]) -> ConnectedApp | HTMLResponse:
    app = org.tokens.app(params.get("client_id"))
    if app is None:
        return _error_page("invalid_client_id", "client identifier invalid")
    if params.get("redirect_uri") not in app.redirect_uris:
        return _error_page("redirect_uri_mismatch", "redirect_uri must match configuration")
    return app


def _approve(org: SandboxOrg, params: dict[str, str]) -> Response:
    redirect_uri, state = params["redirect_uri"], params.get("state", "")
    if params.get("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
    method = params.get("code_challenge_method")
    challenge = params.get("code_challenge") or None
    if challenge and method not in (None, "", "S256"):
        return _redirect(
            redirect_uri,
            {"error": "invalid_request", "error_description": "unsupported PKCE method"},
        )
    user = _login_user(org, params.get("login_hint"))
    code = org.tokens.issue_code(
        params["client_id"],
        user["Id"],
        redirect_uri,
        params.get("scope") or "api id",
        challenge,
        nonce=params.get("nonce") or None,
    )
    return _redirect(redirect_uri, {"code": code.code, "state": state})


def _login_user(org: SandboxOrg, hint: str | None) -> Row:
    user = org.user_by_username(hint) if hint else None
    return user or org.user_by_username("integration@demo.example") or {}


@router.get("/services/oauth2/authorize")
async def authorize(request: Request) -> Response:
    org = org_of(request)
    params = dict(request.query_params)
    app = _check_authorize(org, params)
    if isinstance(app, HTMLResponse):
        return app
    if org.auto_consent:
        return _approve(org, params)
    return _consent_page(org, params, app)


@router.post("/services/oauth2/authorize")
async def authorize_decision(request: Request) -> Response:
    org = org_of(request)
    params = {key: str(value) for key, value in (await request.form()).items()}
    decision = params.pop("decision", "deny")
    app = _check_authorize(org, params)
    if isinstance(app, HTMLResponse):
        return app
    if decision != "approve":
        return _redirect(
            params["redirect_uri"],
            {
                "error": "access_denied",
                "error_description": "end-user denied authorization",
                "state": params.get("state", ""),
            },
        )
    return _approve(org, params)


# -- identity ------------------------------------------------------------------------------------
def _session(request: Request) -> AccessToken | None:
    header = request.headers.get("authorization", "")
    value = header[7:] if header.lower().startswith("bearer ") else None
    value = value or request.query_params.get("oauth_token")
    return org_of(request).tokens.session(value)


def identity(org: SandboxOrg, user: Row) -> dict[str, Any]:
    """The identity-URL document for `user`."""
    base = org.base_url or ""
    org15 = org.organization_id[:15]
    rest = f"{base}/services/data/v{{version}}"
    return {
        "id": f"{base}/id/{org.organization_id}/{user['Id']}",
        "asserted_user": True,
        "user_id": user["Id"],
        "organization_id": org.organization_id,
        "username": user["Username"],
        "nick_name": str(user["Username"]).split("@")[0],
        "display_name": user["Name"],
        "email": user["Email"],
        "email_verified": True,
        "first_name": user["FirstName"],
        "last_name": user["LastName"],
        "timezone": "Etc/UTC",
        "active": bool(user.get("IsActive", True)),
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 0,
        "urls": {
            "enterprise": f"{base}/services/Soap/c/{{version}}/{org15}",
            "partner": f"{base}/services/Soap/u/{{version}}/{org15}",
            "rest": f"{rest}/",
            "sobjects": f"{rest}/sobjects/",
            "query": f"{rest}/query/",
            "recent": f"{rest}/recent/",
            "profile": f"{base}/{user['Id']}",
            "custom_domain": base,
        },
    }


def _bad_token() -> Response:
    return PlainTextResponse("Bad_OAuth_Token", status_code=403)


@router.get("/id/{org_id}/{user_id}")
async def identity_url(request: Request, org_id: str, user_id: str) -> Response:
    org = org_of(request)
    session = _session(request)
    if session is None:
        return _bad_token()
    user = org.users.peek(user_id)
    if org_id != org.organization_id or user is None:
        return PlainTextResponse("Bad_Id", status_code=404)
    return JSONResponse(identity(org, user))


@router.get("/services/oauth2/userinfo")
async def userinfo(request: Request) -> Response:
    org = org_of(request)
    session = _session(request)
    user = org.users.peek(session.user_id) if session else None
    if session is None or user is None:
        return _bad_token()
    doc = identity(org, user)
    return JSONResponse(
        {
            "sub": doc["id"],
            "user_id": user["Id"],
            "organization_id": org.organization_id,
            "preferred_username": user["Username"],
            "nickname": doc["nick_name"],
            "name": user["Name"],
            "email": user["Email"],
            "email_verified": True,
            "given_name": user["FirstName"],
            "family_name": user["LastName"],
            "zoneinfo": "Etc/UTC",
            "locale": "en_US",
            "active": doc["active"],
            "user_type": "STANDARD",
            "language": "en_US",
            "utcOffset": 0,
            "urls": doc["urls"],
            "updated_at": "2024-01-01T00:00:00Z",
        }
    )
