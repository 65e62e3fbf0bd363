"""Helpers for the sandbox tests: app constants, generated key pairs, JWT assertions."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from connector.sandbox import SandboxOrg

JWT_CLIENT_ID = "3MVG9-sandbox-tests-jwt"
WEB_CLIENT_ID = "3MVG9-sandbox-tests-web"
ROTATING_CLIENT_ID = "3MVG9-sandbox-tests-rotating"
WEB_SECRET = "web-client-secret-for-tests"
REDIRECT_URI = "http://127.0.0.1:8765/callback"
USERNAME = "integration@demo.example"
VERSION = "v59.0"


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes
    certificate_pem: bytes


def make_key_pair(common_name: str = "sandbox-tests") -> KeyPair:
    """A fresh RSA key and self-signed certificate (what an admin uploads to the app)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = time.time()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.fromtimestamp(now - 300, dt.UTC))
        .not_valid_after(dt.datetime.fromtimestamp(now + 86400, dt.UTC))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return KeyPair(private, cert.public_bytes(serialization.Encoding.PEM))


def assertion(
    private_pem: bytes,
    audience: str = "https://login.salesforce.com",
    subject: str = USERNAME,
    issuer: str = JWT_CLIENT_ID,
    expires_in: float = 180,
) -> str:
    claims = {"iss": issuer, "sub": subject, "aud": audience, "exp": int(time.time() + expires_in)}
    return jwt.encode(claims, private_pem, algorithm="RS256")


def jwt_token(
    http: requests.Session, base_url: str, private_pem: bytes, **kwargs: object
) -> requests.Response:
    return http.post(
        f"{base_url}/services/oauth2/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": assertion(private_pem, **kwargs),  # type: ignore[arg-type]
        },
    )


def report_id(org: SandboxOrg, developer_name: str) -> str:
    return next(r.id for r in org.reports.values() if r.developer_name == developer_name)
