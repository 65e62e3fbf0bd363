"""OAuth on the sandbox login host: JWT bearer, web server flow with PKCE, refresh, revoke."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from sandbox_helpers import (
    JWT_CLIENT_ID,
    REDIRECT_URI,
    ROTATING_CLIENT_ID,
    USERNAME,
    WEB_CLIENT_ID,
    WEB_SECRET,
    KeyPair,
    jwt_token,
    make_key_pair,
)

from connector.sandbox import SandboxOrg, SandboxServer


def _challenge(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def _authorize(
    http: requests.Session,
    base_url: str,
    client_id: str,
    verifier: str,
    scope: str = "api refresh_token",
    redirect_uri: str = REDIRECT_URI,
) -> requests.Response:
    return http.get(
        f"{base_url}/services/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
            "scope": scope,
            "state": "xyz",
        },
        allow_redirects=False,
    )


def _code(response: requests.Response) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def _exchange(
    http: requests.Session,
    base_url: str,
    code: str,
    verifier: str,
    client_id: str = WEB_CLIENT_ID,
    secret: str | None = WEB_SECRET,
) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    if secret:
        form["client_secret"] = secret
    return http.post(f"{base_url}/services/oauth2/token", data=form)


def _refresh(
    http: requests.Session, base_url: str, token: str, client_id: str, secret: str | None = None
) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id}
    if secret:
        form["client_secret"] = secret
    return http.post(f"{base_url}/services/oauth2/token", data=form)


# -- JWT bearer --------------------------------------------------------------------------------
def test_given_a_pre_authorized_user_when_jwt_bearer_then_token_like_salesforce(
    http: requests.Session,
    sandbox_server: SandboxServer,
    sandbox_org: SandboxOrg,
    key_pair: KeyPair,
) -> None:
    response = jwt_token(http, sandbox_server.base_url, key_pair.private_pem)
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"].startswith(sandbox_org.organization_id[:15] + "!")
    assert body["instance_url"] == sandbox_server.base_url
    assert body["id"].endswith(
        f"/id/{sandbox_org.organization_id}/{sandbox_org.integration_user_id}"
    )
    assert body["token_type"] == "Bearer"
    assert len(body["issued_at"]) == 13
    assert "refresh_token" not in body and "expires_in" not in body


@pytest.mark.parametrize("audience", ["https://test.salesforce.com", "SANDBOX"])
def test_jwt_bearer_accepts_the_test_host_and_the_sandbox_url_as_audience(
    http: requests.Session, sandbox_server: SandboxServer, key_pair: KeyPair, audience: str
) -> None:
    aud = sandbox_server.base_url if audience == "SANDBOX" else audience
    assert jwt_token(http, sandbox_server.base_url, key_pair.private_pem, audience=aud).ok


@pytest.mark.parametrize(
    ("claims", "description"),
    [
        ({"audience": "https://acme.my.salesforce.com"}, "audience is invalid"),
        ({"subject": "rep@demo.example"}, "user hasn't approved this consumer"),
        ({"subject": "nobody@demo.example"}, "user hasn't approved this consumer"),
        ({"expires_in": -60}, "invalid assertion"),
        ({"expires_in": 3600}, "invalid assertion"),
    ],
)
def test_jwt_bearer_failures(
    http: requests.Session,
    sandbox_server: SandboxServer,
    key_pair: KeyPair,
    claims: dict[str, object],
    description: str,
) -> None:
    response = jwt_token(http, sandbox_server.base_url, key_pair.private_pem, **claims)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": description}


def test_given_a_key_the_app_does_not_know_when_jwt_bearer_then_invalid_assertion(
    http: requests.Session, sandbox_server: SandboxServer
) -> None:
    stranger = make_key_pair("stranger")
    response = jwt_token(http, sandbox_server.base_url, stranger.private_pem)
    assert response.status_code == 400
    assert response.json()["error_description"] == "invalid assertion"


def test_given_an_unknown_client_id_when_jwt_bearer_then_invalid_client_id(
    http: requests.Session, sandbox_server: SandboxServer, key_pair: KeyPair
) -> None:
    response = jwt_token(http, sandbox_server.base_url, key_pair.private_pem, issuer="nope")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_id"


# -- web server flow with PKCE ------------------------------------------------------------------
def test_web_server_flow_with_pkce_returns_a_signed_token_and_a_refresh_token(
    http: requests.Session, sandbox_server: SandboxServer
) -> None:
    verifier = secrets.token_urlsafe(48)
    code = _code(_authorize(http, sandbox_server.base_url, WEB_CLIENT_ID, verifier))
    response = _exchange(http, sandbox_server.base_url, code, verifier)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"] and body["scope"] == "api refresh_token"
    expected = hmac.new(
        WEB_SECRET.encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256
    )
    assert body["signature"] == base64.b64encode(expected.digest()).decode()


def test_given_a_wrong_verifier_then_the_code_is_refused(
    http: requests.Session, sandbox_server: SandboxServer
) -> None:
    verifier = secrets.token_urlsafe(48)
    code = _code(_authorize(http, sandbox_server.base_url, WEB_CLIENT_ID, verifier))
    response = _exchange(http, sandbox_server.base_url, code, "not-the-verifier-" + verifier)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "invalid code verifier",
    }


def test_given_a_used_code_when_exchanged_again_then_refused(
    http: requests.Session, sandbox_server: SandboxServer
) -> None:
    verifier = secrets.token_urlsafe(48)
    code = _code(_authorize(http, sandbox_server.base_url, WEB_CLIENT_ID, verifier))
    assert _exchange(http, sandbox_server.base_url, code, verifier).status_code == 200
    again = _exchange(http, sandbox_server.base_url, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_given_a_wrong_client_secret_then_invalid_client(
    http: requests.Session, sandbox_server: SandboxServer
) -> None:
    verifier = secrets.token_urlsafe(48)
    code = _code(_authorize(http, sandbox_server.base_url, WEB_CLIENT_ID, verifier))
    response = _exchange(http, sandbox_server.base_url, code, verifier, secret="wrong")
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("client_id", "redirect_uri", "error"),
    [
        ("unknown-client", REDIRECT_URI, "invalid_client_id"),
        (WEB_CLIENT_ID, "http://evil.example/callback", "redirect_uri_mismatch"),
    ],
)
def test_authorize_with_bad_client_or_redirect_shows_an_error_page(
    http: requests.Session,
    sandbox_server: SandboxServer,
    client_id: str,
    redirect_uri: str,
    error: str,
) -> None:
    response = _authorize(
        http, sandbox_server.base_url, client_id, "v" * 43, redirect_uri=redirect_uri
    )
    assert response.status_code == 400 and error in response.text


def test_given_consent_is_not_automatic_when_the_user_denies_then_access_denied(
    http: requests.Session, sandbox_server: SandboxServer, sandbox_org: SandboxOrg
) -> None:
    sandbox_org.auto_consent = False
    page = _authorize(http, sandbox_server.base_url, WEB_CLIENT_ID, "v" * 43)
    assert page.status_code == 200 and "Allow" in page.text and "Deny" in page.text
    form = {
        "response_type": "code",
        "client_id": WEB_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "xyz",
        "decision": "deny",
    }
    denied = http.post(
        f"{sandbox_server.base_url}/services/oauth2/authorize", data=form, allow_redirects=False
    )
    assert denied.status_code == 302
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]
    approved = http.post(
        f"{sandbox_server.base_url}/services/oauth2/authorize",
        data={**form, "decision": "approve"},
        allow_redirects=False,
    )
    assert _code(approved)


# -- refresh, rotation, revoke, expiry -----------------------------------------------------------
def _web_tokens(http: requests.Session, base_url: str, client_id: str, secret: str | None) -> dict:  # type: ignore[type-arg]
    verifier = secrets.token_urlsafe(48)
    code = _code(_authorize(http, base_url, client_id, verifier))
    response = _exchange(http, base_url, code, verifier, client_id=client_id, secret=secret)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_refresh_without_rotation_keeps_the_refresh_token_valid(
    http: requests.Session, sandbox_server: SandboxServer
) -> None:
    tokens = _web_tokens(http, sandbox_server.base_url, WEB_CLIENT_ID, WEB_SECRET)
    for _ in range(2):
        response = _refresh(
            http, sandbox_server.base_url, tokens["refresh_token"], WEB_CLIENT_ID, WEB_SECRET
        )
        assert response.status_code == 200
        assert "refresh_token" not in response.json()


def test_given_rotation_when_refreshing_then_a_new_refresh_token_and_the_old_one_is_dead(
    http: requests.Session, sandbox_server: SandboxServer
) -> None:
    tokens = _web_tokens(http, sandbox_server.base_url, ROTATING_CLIENT_ID, None)
    first = _refresh(http, sandbox_server.base_url, tokens["refresh_token"], ROTATING_CLIENT_ID)
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != tokens["refresh_token"]
    old = _refresh(http, sandbox_server.base_url, tokens["refresh_token"], ROTATING_CLIENT_ID)
    assert old.status_code == 400
    assert old.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }
    assert _refresh(http, sandbox_server.base_url, rotated, ROTATING_CLIENT_ID).status_code == 200


def test_revoking_a_refresh_token_revokes_its_access_tokens(
    http: requests.Session, sandbox_server: SandboxServer, rest: str
) -> None:
    tokens = _web_tokens(http, sandbox_server.base_url, WEB_CLIENT_ID, WEB_SECRET)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert http.get(f"{rest}/limits/", headers=headers).status_code == 200
    revoke = http.post(
        f"{sandbox_server.base_url}/services/oauth2/revoke", data={"token": tokens["refresh_token"]}
    )
    assert revoke.status_code == 200 and revoke.content == b""
    assert http.get(f"{rest}/limits/", headers=headers).status_code == 401
    refresh = _refresh(
        http, sandbox_server.base_url, tokens["refresh_token"], WEB_CLIENT_ID, WEB_SECRET
    )
    assert refresh.status_code == 400
    unknown = http.post(f"{sandbox_server.base_url}/services/oauth2/revoke", data={"token": "nope"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_token"


def test_given_expired_tokens_then_rest_answers_401_invalid_session_id(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    assert api.get(f"{rest}/limits/").status_code == 200
    sandbox_org.expire_all_access_tokens()
    response = api.get(f"{rest}/limits/")
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_given_a_token_ttl_then_tokens_expire_by_themselves(
    http: requests.Session,
    sandbox_server: SandboxServer,
    sandbox_org: SandboxOrg,
    key_pair: KeyPair,
    rest: str,
) -> None:
    sandbox_org.access_token_ttl = 0
    token = jwt_token(http, sandbox_server.base_url, key_pair.private_pem).json()["access_token"]
    response = http.get(f"{rest}/limits/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_identity_url_and_userinfo_describe_the_integration_user(
    api: requests.Session, sandbox_server: SandboxServer, sandbox_org: SandboxOrg, key_pair: KeyPair
) -> None:
    token = jwt_token(api, sandbox_server.base_url, key_pair.private_pem).json()
    identity = api.get(token["id"], headers={"Authorization": f"Bearer {token['access_token']}"})
    assert identity.status_code == 200
    assert identity.json()["organization_id"] == sandbox_org.organization_id
    assert identity.json()["username"] == USERNAME
    info = api.get(f"{sandbox_server.base_url}/services/oauth2/userinfo")
    assert info.json()["preferred_username"] == USERNAME
    anonymous = api.get(token["id"], headers={"Authorization": ""})
    assert anonymous.status_code == 403


def test_jwt_client_id_constant_is_registered(sandbox_org: SandboxOrg) -> None:
    assert sandbox_org.tokens.app(JWT_CLIENT_ID) is not None


@pytest.mark.parametrize(("exp", "accepted"), [("STRING", True), ("soon", False), (None, False)])
def test_jwt_exp_may_be_a_numeric_string_as_real_orgs_accept(
    http: requests.Session,
    sandbox_server: SandboxServer,
    key_pair: KeyPair,
    exp: str | None,
    accepted: bool,
) -> None:
    value = f"{time.time() + 120:.0f}" if exp == "STRING" else exp
    claims = {"iss": JWT_CLIENT_ID, "sub": USERNAME, "aud": "https://login.salesforce.com"}
    if value is not None:
        claims["exp"] = value
    token = jwt.encode(claims, key_pair.private_pem, algorithm="RS256")
    response = http.post(
        f"{sandbox_server.base_url}/services/oauth2/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": token},
    )
    assert response.ok is accepted, response.text
