"""Sign-in through the OpenID provider (authlib's Starlette client), and sign-out.

`GET /login` sends the browser to the provider's authorize endpoint (authorization code flow
with PKCE, a `state` and a `nonce` kept in the session); `GET /auth/callback` exchanges the
code, verifies the `id_token` (signature against the provider's JWKS, issuer, audience, expiry,
nonce), reads userinfo, and maps the claims to a role (`roles.role_of`). Nobody without a role
is signed in. `POST /logout` (CSRF-checked) ends the console session. There is no password
form: the console never sees a password.
"""

from __future__ import annotations

import logging
import ssl
import warnings
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from connector.console.deps import Refused, check_csrf
from connector.console.roles import role_of
from connector.console.session import PERSON_KEY, Person, csrf_token, person_of
from connector.console.settings import ConsoleSettings
from connector.console.templating import flash, render

with warnings.catch_warnings():
    # authlib prefers the httpx2 package and warns at import when it finds httpx instead,
    # which it still supports; the console does not need the newer client
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.starlette_client import OAuth, OAuthError

log = logging.getLogger(__name__)

router = APIRouter()
NEXT_KEY = "next"


def make_oauth(settings: ConsoleSettings) -> OAuth:
    """The authlib registry with the configured provider registered as `sso`."""
    assert settings.client_secret is not None
    client_kwargs: dict[str, Any] = {
        "scope": settings.scopes,
        "code_challenge_method": "S256",
        "token_endpoint_auth_method": "client_secret_post",
        "timeout": 20.0,
    }
    if settings.ca_bundle is not None:
        client_kwargs["verify"] = ssl.create_default_context(cafile=str(settings.ca_bundle))
    oauth = OAuth()
    oauth.register(
        "sso",
        client_id=settings.client_id,
        client_secret=settings.client_secret.get_secret_value(),
        server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )
    return oauth


def _safe_next(value: str | None, root: str) -> str:
    """A path inside the console to return to after sign-in (anything else: the fleet)."""
    if (
        value
        and value.startswith(root + "/")
        and ".." not in value.split("?")[0].split("/")
        and value.isprintable()
        and "\\" not in value
    ):
        return value
    return root + "/"


@router.get("/login", name="login")
async def login(request: Request) -> Response:
    """Start the sign-in (or show the page that offers it, when already signed in)."""
    root = request.scope.get("root_path", "")
    target = _safe_next(request.query_params.get("next"), root)
    if person_of(request) is not None:
        return RedirectResponse(target, status_code=303)
    request.session[NEXT_KEY] = target
    client = request.app.state.oauth.sso
    try:
        return await client.authorize_redirect(request, str(request.url_for("auth_callback")))
    except Exception as exc:  # the provider could not be reached or answered nonsense
        log.warning("console sign-in: the identity provider failed: %s", type(exc).__name__)
        raise Refused(502, "The identity provider could not be reached; try again later.") from None


@router.get("/auth/callback", name="auth_callback")
async def auth_callback(request: Request) -> Response:
    """Finish the sign-in: verify the id_token, map the role, start the session."""
    settings: ConsoleSettings = request.app.state.console_settings
    client = request.app.state.oauth.sso
    try:
        token = await client.authorize_access_token(
            request, claims_options={"iss": {"essential": True, "values": [settings.issuer]}}
        )
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise OAuthError(error="invalid_token", description="no verified id_token")
        claims.update(await client.userinfo(token=token) or {})
    except OAuthError as exc:
        log.warning("console sign-in refused: %s", exc.error)
        raise Refused(401, "Sign-in failed; start again from the sign-in link.") from None
    except Exception as exc:
        log.warning("console sign-in: the identity provider failed: %s", type(exc).__name__)
        raise Refused(502, "The identity provider could not be reached; try again later.") from None
    role = role_of(claims, settings)
    email = str(claims.get("email") or "")
    if role is None or not email:
        log.warning("console sign-in: no role for the signed-in person")
        raise Refused(403, "You are signed in with the identity provider but have no console role.")
    target = request.session.pop(NEXT_KEY, None) or (request.scope.get("root_path", "") + "/")
    request.session.clear()
    person = Person(email=email.lower(), name=str(claims.get("name") or email), role=role)
    request.session[PERSON_KEY] = person.to_session()
    csrf_token(request)
    log.info("console sign-in: a person with the %s role signed in", role)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", name="logout", dependencies=[Depends(check_csrf)])
async def logout(request: Request) -> Response:
    """End the console session."""
    request.session.clear()
    flash(request, "You are signed out.")
    return RedirectResponse(request.url_for("signed_out").path, status_code=303)


@router.get("/signed-out", name="signed_out")
async def signed_out(request: Request) -> Response:
    """The page after signing out (and for visitors who are not signed in)."""
    return render(request, "signed_out.html")
