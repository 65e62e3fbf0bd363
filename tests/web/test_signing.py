"""Signed webhooks: HMAC over timestamp + "." + body, age limit, per-customer secrets."""

from __future__ import annotations

import pytest

from connector.web.signing import SignatureError, customer_secret, sign, verify

SECRET = "customer-secret"
NOW = 1_700_000_000
BODY = b'{"reason": "button"}'


def test_given_correct_signature_then_verify_returns_the_replay_key() -> None:
    signed = verify(SECRET, str(NOW), sign(SECRET, NOW, BODY), BODY, now=NOW + 5, max_age=300)
    assert signed.timestamp == NOW
    assert len(signed.signature) == 64 and "sha256=" + signed.signature == sign(SECRET, NOW, BODY)


@pytest.mark.parametrize(
    ("timestamp", "signature", "body", "now", "words"),
    [
        (str(NOW), sign("other", NOW, BODY), BODY, NOW, "does not match"),
        (str(NOW), sign(SECRET, NOW, BODY), BODY + b" ", NOW, "does not match"),
        (str(NOW + 1), sign(SECRET, NOW, BODY), BODY, NOW, "does not match"),
        (str(NOW), sign(SECRET, NOW, BODY).removeprefix("sha256="), BODY, NOW, "does not match"),
        (str(NOW), sign(SECRET, NOW, BODY), BODY, NOW + 301, "seconds from now"),
        (str(NOW), sign(SECRET, NOW, BODY), BODY, NOW - 301, "seconds from now"),
        (None, sign(SECRET, NOW, BODY), BODY, NOW, "required"),
        (str(NOW), None, BODY, NOW, "required"),
        ("yesterday", "sha256=00", BODY, NOW, "Unix time"),
        ("-5", "sha256=00", BODY, NOW, "Unix time"),
        ("١٢٣", "sha256=00", BODY, NOW, "Unix time"),  # non-ASCII digits
        ("9" * 40, "sha256=00", BODY, NOW, "Unix time"),
        (str(NOW), "sha256=é", BODY, NOW, "does not match"),
    ],
)
def test_given_forged_stale_or_malformed_request_then_verify_refuses(
    timestamp: str | None, signature: str | None, body: bytes, now: int, words: str
) -> None:
    with pytest.raises(SignatureError, match=words):
        verify(SECRET, timestamp, signature, body, now=now, max_age=300)


def test_customer_secrets_differ_per_customer_and_master() -> None:
    assert customer_secret("m", "acme") == customer_secret("m", "acme")
    assert customer_secret("m", "acme") != customer_secret("m", "globex")
    assert customer_secret("m", "acme") != customer_secret("n", "acme")
