"""Signed webhooks: HMAC-SHA256 over `timestamp + "." + body`, pure functions.

The caller sends `X-Connector-Timestamp: <unix seconds>` and
`X-Connector-Signature: sha256=<hex of HMAC-SHA256(secret, timestamp + "." + body)>`.
A request is accepted when the signature matches (compared in constant time) and the
timestamp is within `max_age` seconds of now; the signature then identifies the request, so
the store refuses it a second time (replay).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

PREFIX = "sha256="


class SignatureError(ValueError):
    """The request's signature headers are missing, malformed, wrong or stale."""


@dataclass(frozen=True)
class Signed:
    """A verified request: its timestamp and signature (hex, the replay key)."""

    timestamp: int
    signature: str


def customer_secret(master: str, customer_id: str) -> str:
    """The customer's webhook secret, derived from the master secret (hex)."""
    message = f"connector-webhook:{customer_id}".encode()
    return hmac.new(master.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Connector-Signature` value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def verify(
    secret: str,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    *,
    now: float,
    max_age: int,
) -> Signed:
    """Check a request's signature and age. Raises SignatureError saying what is wrong."""
    if not timestamp_header or not signature_header:
        raise SignatureError("X-Connector-Timestamp and X-Connector-Signature are required")
    timestamp_text = timestamp_header.strip()
    if not timestamp_text.isascii() or not timestamp_text.isdigit() or len(timestamp_text) > 12:
        raise SignatureError("X-Connector-Timestamp must be Unix time in seconds")
    timestamp = int(timestamp_text)
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature_header.strip().encode()):
        raise SignatureError("the signature does not match")
    if abs(now - timestamp) > max_age:
        raise SignatureError(f"the timestamp is more than {max_age} seconds from now")
    return Signed(timestamp, expected.removeprefix(PREFIX))
