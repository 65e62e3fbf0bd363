"""The sandbox as an OpenID provider: discovery, JWKS, id_token, userinfo, the consent page."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from sandbox_helpers import REDIRECT_URI, WEB_CLIENT_ID, WEB_SECRET

from connector.sandbox import SandboxOrg, SandboxServer


def _authorize(
    http: requests.Session, base_url: str, scope: str, nonce: str | None, verifier: str
) -> str:
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    params = {
        "response_type": "code",
        "client_id": WEB_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": "admin@demo.example",
    }
    if nonce:
        params["nonce"] = nonce
    response = http.get(
        f"{base_url}/services/oauth2/authorize", params=params, allow_redirects=False
    )
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def _tokens(
    http: requests.Session, base_url: str, scope: str, nonce: str | None = None
) -> dict[str, Any]:
    verifier = secrets.token_urlsafe(48)
    code = _authorize(http, base_url, scope, nonce, verifier)
    response = http.post(
        f"{base_url}/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": WEB_CLIENT_ID,
            "client_secret": WEB_SECRET,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_discovery_document_names_salesforces_endpoints(
    http: requests.Session, sandbox_server: SandboxServer
) -> None:
    base = sandbox_server.base_url
    doc = http.get(f"{base}/.well-known/openid-configuration").json()

    assert doc["issuer"] == base
    assert doc["authorization_endpoint"] == f"{base}/services/oauth2/authorize"
    assert doc["token_endpoint"] == f"{base}/services/oauth2/token"
    assert doc["userinfo_endpoint"] == f"{base}/services/oauth2/userinfo"
    assert doc["revocation_endpoint"] == f"{base}/services/oauth2/revoke"
    assert doc["jwks_uri"] == f"{base}/id/keys"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "openid" in doc["scopes_supported"] and "code" in doc["response_types_supported"]


def test_the_id_token_is_signed_by_the_published_key_with_salesforces_claims(
    http: requests.Session, sandbox_server: SandboxServer, sandbox_org: SandboxOrg
) -> None:
    base = sandbox_server.base_url
    body = _tokens(http, base, "openid email profile", nonce="n-0123")
    keys = http.get(f"{base}/id/keys").json()["keys"]
    header = jwt.get_unverified_header(body["id_token"])
    (jwk,) = [key for key in keys if key["kid"] == header["kid"]]
    assert jwk["kty"] == "RSA" and jwk["use"] == "sig" and "d" not in jwk

    claims = jwt.decode(
        body["id_token"],
        key=jwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        audience=WEB_CLIENT_ID,
        issuer=base,
    )

    admin = sandbox_org.user_by_username("admin@demo.example")
    assert admin is not None
    assert claims["sub"] == f"{base}/id/{sandbox_org.organization_id}/{admin['Id']}"
    assert claims["nonce"] == "n-0123"
    assert claims["email"] == "admin@demo.example" and claims["email_verified"] is True
    assert claims["name"] == "Avery Admin" and claims["preferred_username"] == "admin@demo.example"
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert claims["exp"] - claims["iat"] == 300


def test_without_openid_there_is_no_id_token(
    http: requests.Session, sandbox_server: SandboxServer
) -> None:
    assert "id_token" not in _tokens(http, sandbox_server.base_url, "api id")


def test_the_email_scope_alone_leaves_the_profile_out(
    http: requests.Session, sandbox_server: SandboxServer
) -> None:
    body = _tokens(http, sandbox_server.base_url, "openid email")
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})

    assert claims["email"] == "admin@demo.example"
    assert "name" not in claims and "preferred_username" not in claims


def test_userinfo_answers_for_the_id_tokens_subject(
    http: requests.Session, sandbox_server: SandboxServer
) -> None:
    body = _tokens(http, sandbox_server.base_url, "openid email profile")
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})

    info = http.get(
        f"{sandbox_server.base_url}/services/oauth2/userinfo",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )

    assert info.status_code == 200
    assert info.json()["sub"] == claims["sub"]
    assert info.json()["email"] == claims["email"]


def test_the_consent_page_lets_a_browser_choose_the_user_without_a_password(
    http: requests.Session, sandbox_server: SandboxServer, sandbox_org: SandboxOrg
) -> None:
    sandbox_org.auto_consent = False
    params = {
        "response_type": "code",
        "client_id": WEB_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email",
        "state": "s2",
        "nonce": "n2",
    }

    page = http.get(f"{sandbox_server.base_url}/services/oauth2/authorize", params=params)
    approved = http.post(
        f"{sandbox_server.base_url}/services/oauth2/authorize",
        data={**params, "login_hint": "rep@demo.example", "decision": "approve"},
        allow_redirects=False,
    )

    assert page.status_code == 200
    assert '<label for="login_hint">Sandbox user</label>' in page.text
    assert 'type="password"' not in page.text
    assert "rep@demo.example" in page.text
    code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
    issued = sandbox_org.tokens.code(code)
    rep = sandbox_org.user_by_username("rep@demo.example")
    assert issued is not None and rep is not None
    assert issued.nonce == "n2" and issued.user_id == rep["Id"]
