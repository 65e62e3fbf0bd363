"""The JWT bearer assertion: RS256, iss/sub/aud/exp as Salesforce wants them (pure)."""

from __future__ import annotations

import pytest
from auth_helpers import KeyPair, make_key_pair
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import RSAKey

from connector.crm.salesforce.oauth_jwt import (
    ASSERTION_LIFETIME,
    default_audience,
    load_private_key,
    sign_assertion,
)
from connector.errors import ConfigError


def test_the_assertion_carries_iss_sub_aud_and_a_three_minute_exp(key_pair: KeyPair) -> None:
    assertion = sign_assertion(
        key_pair.private_pem,
        client_id="3MVG9-consumer-key",
        username="integration@acme.example",
        audience="https://login.salesforce.com",
        now=1_700_000_000,
    )
    token = jwt.decode(assertion, RSAKey.import_key(key_pair.public_pem), algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    assert token.claims["iss"] == "3MVG9-consumer-key"
    assert token.claims["sub"] == "integration@acme.example"
    assert token.claims["aud"] == "https://login.salesforce.com"
    assert token.claims["exp"] == 1_700_000_000 + ASSERTION_LIFETIME == 1_700_000_180


def test_an_assertion_signed_by_another_key_does_not_verify(key_pair: KeyPair) -> None:
    other = make_key_pair("other")
    assertion = sign_assertion(other.private_pem, client_id="c", username="u", audience="a")
    with pytest.raises(BadSignatureError):
        jwt.decode(assertion, RSAKey.import_key(key_pair.public_pem), algorithms=["RS256"])


@pytest.mark.parametrize(
    ("login_url", "audience"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com", "https://test.salesforce.com"),
        ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
        ("https://127.0.0.1:9443", "https://127.0.0.1:9443"),
        ("http://localhost:8080/", "http://localhost:8080"),
    ],
)
def test_default_audience_follows_the_login_host(login_url: str, audience: str) -> None:
    assert default_audience(login_url) == audience


def test_a_public_key_is_refused_as_a_signing_key(key_pair: KeyPair) -> None:
    with pytest.raises(ConfigError, match="public key"):
        load_private_key(key_pair.public_pem.decode("ascii"))


@pytest.mark.parametrize("text", ["not a key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nabc\n"])
def test_unusable_key_files_are_refused_clearly(text: str) -> None:
    with pytest.raises(ConfigError, match="key"):
        load_private_key(text)


@pytest.mark.parametrize(
    "login_url", ["https://acme.lightning.force.com", "https://na1.salesforce.com"]
)
def test_given_an_unknown_login_host_then_the_audience_is_never_defaulted_to_production(
    login_url: str,
) -> None:
    from connector.errors import ConfigError

    with pytest.raises(ConfigError, match=r"crm\.audience"):
        default_audience(login_url)
