"""OpenID Connect as Salesforce's login host speaks it: discovery, signing keys, `id_token`.

The org is the issuer (its base URL). Its RS256 key pair is made the first time it is needed
and lives as long as the org; ``GET /id/keys`` publishes the public half as a JWK set and
``GET /.well-known/openid-configuration`` names the endpoints. When a grant's scope includes
``openid``, the token response carries an ``id_token`` whose claims follow Salesforce's: the
identity URL as ``sub``, the client id as ``aud``, the ``nonce`` of the authorize request,
``at_hash`` of the access token, and the profile and email claims as the scope allows.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from jwt.algorithms import RSAAlgorithm
from starlette.responses import Response

from connector.sandbox.org import SandboxOrg
from connector.sandbox.tables import Row

#: Seconds an id_token stays valid (Salesforce: five minutes).
ID_TOKEN_LIFETIME = 300

router = APIRouter()
_key_lock = threading.Lock()


@dataclass(frozen=True)
class SigningKey:
    """The org's id_token signing key and its key id."""

    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = private.public_key().public_numbers()
        kid = hashlib.sha256(numbers.n.to_bytes(256, "big")).hexdigest()[:8]
        return cls(kid=kid, private=private)

    def jwk(self) -> dict[str, Any]:
        """The public half as a JWK (``kty``, ``n``, ``e``, ``kid``, ``use``, ``alg``)."""
        data: dict[str, Any] = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        data.update(kid=self.kid, use="sig", alg="RS256")
        return data


def signing_key(org: SandboxOrg) -> SigningKey:
    """The org's signing key, made on first use."""
    with _key_lock:
        key: SigningKey | None = getattr(org, "oidc_signing_key", None)
        if key is None:
            key = SigningKey.generate()
            org.oidc_signing_key = key  # type: ignore[attr-defined]
        return key


def discovery(org: SandboxOrg) -> dict[str, Any]:
    """The OpenID provider metadata of the org (issuer: its base URL)."""
    base = org.base_url or ""
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/services/oauth2/authorize",
        "token_endpoint": f"{base}/services/oauth2/token",
        "revocation_endpoint": f"{base}/services/oauth2/revoke",
        "userinfo_endpoint": f"{base}/services/oauth2/userinfo",
        "jwks_uri": f"{base}/id/keys",
        "scopes_supported": [
            "id",
            "api",
            "email",
            "profile",
            "openid",
            "refresh_token",
            "offline_access",
            "web",
            "full",
        ],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "display_values_supported": ["page", "popup", "touch"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "active",
            "address",
            "email",
            "email_verified",
            "family_name",
            "given_name",
            "is_app_installed",
            "language",
            "locale",
            "name",
            "nickname",
            "organization_id",
            "phone_number",
            "phone_number_verified",
            "photos",
            "picture",
            "preferred_username",
            "profile",
            "sub",
            "updated_at",
            "urls",
            "user_id",
            "user_type",
            "zoneinfo",
        ],
    }


def at_hash(access_token: str) -> str:
    """The left half of SHA-256(access token), base64url without padding (OIDC core 3.1.3.6)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def id_token(
    org: SandboxOrg,
    *,
    client_id: str,
    user: Row,
    scope: str,
    access_token: str,
    nonce: str | None,
    now: float | None = None,
) -> str:
    """A signed id_token for `user`, with the claims the granted `scope` allows."""
    base = org.base_url or ""
    issued = int(now if now is not None else time.time())
    scopes = set(scope.split())
    claims: dict[str, Any] = {
        "iss": base,
        "sub": f"{base}/id/{org.organization_id}/{user['Id']}",
        "aud": client_id,
        "iat": issued,
        "exp": issued + ID_TOKEN_LIFETIME,
        "at_hash": at_hash(access_token),
    }
    if nonce:
        claims["nonce"] = nonce
    if scopes & {"profile", "id", "full"}:
        claims.update(
            name=user["Name"],
            given_name=user["FirstName"],
            family_name=user["LastName"],
            preferred_username=user["Username"],
            nickname=str(user["Username"]).split("@")[0],
            zoneinfo="Etc/UTC",
            updated_at=issued,
        )
    if scopes & {"email", "id", "full"}:
        claims.update(email=user["Email"], email_verified=True)
    key = signing_key(org)
    return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})


@router.get("/.well-known/openid-configuration")
async def openid_configuration(request: Request) -> Response:
    org: SandboxOrg = request.app.state.org
    return JSONResponse(discovery(org))


@router.get("/id/keys")
async def keys(request: Request) -> Response:
    org: SandboxOrg = request.app.state.org
    return JSONResponse({"keys": [signing_key(org).jwk()]})
