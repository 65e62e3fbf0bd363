"""The JWT bearer flow (server to server): sign an RS256 assertion, trade it for a token.

Claims follow Salesforce's rules: `iss` = the connected app's consumer key, `sub` = the
integration user's username, `aud` = the authorization server (`https://login.salesforce.com`,
`https://test.salesforce.com`, or the sandbox's own URL when it runs on loopback), `exp` = now
plus 3 minutes. authlib's own default audience is the token URL, which Salesforce refuses for
My Domain hosts, so the audience is always passed explicitly. This flow returns no refresh
token: when a session expires the assertion is simply signed again.

Errors: `ConfigError` for an unusable private key, `AuthError` for refusals (see
`oauth_errors`), `CrmTransient` when Salesforce cannot be reached.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from urllib.parse import urlsplit

import requests
from authlib.oauth2.rfc7523.assertion import sign_jwt_bearer_assertion
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from connector.crm.salesforce.tls import check_crm_url, is_loopback_url
from connector.crm.salesforce.token_endpoint import DEFAULT_TIMEOUT, TokenResponse, request_token
from connector.errors import ConfigError, register_secret

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PRODUCTION_AUDIENCE = "https://login.salesforce.com"
SANDBOX_AUDIENCE = "https://test.salesforce.com"
ASSERTION_LIFETIME = 180  # seconds: Salesforce accepts at most about 3 minutes


def default_audience(login_url: str, extra_hosts: Collection[str] = ()) -> str:
    """The `aud` Salesforce expects for assertions posted to `login_url`.

    test.salesforce.com and sandbox My Domains (`….sandbox.my.salesforce.com`) use the sandbox
    audience; login.salesforce.com and production My Domains (`….my.salesforce.com`) the
    production one; a loopback sandbox its own URL. Any other host raises ConfigError asking
    for `crm.audience`: an assertion is never addressed to production by default.
    """
    url = check_crm_url(login_url, what="login URL", extra_hosts=extra_hosts)
    host = (urlsplit(url).hostname or "").lower()
    if is_loopback_url(url):
        return url
    if host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com"):
        return SANDBOX_AUDIENCE
    if host == "login.salesforce.com" or host.endswith(".my.salesforce.com"):
        return PRODUCTION_AUDIENCE
    raise ConfigError(
        f"cannot tell the JWT audience for login host {host!r}; set crm.audience in the field "
        f"map ({PRODUCTION_AUDIENCE} or {SANDBOX_AUDIENCE})"
    )


def load_private_key(pem: str) -> RSAKey:
    """The RSA private key in `pem`; ConfigError if it is not an unencrypted RSA private key."""
    register_secret(pem)
    if "ENCRYPTED" in pem:
        raise ConfigError(
            "the private key file is passphrase-protected; store an unencrypted PEM key "
            "(the connector encrypts it at rest with its key ring)"
        )
    try:
        key = RSAKey.import_key(pem)
    except (JoseError, ValueError, TypeError):
        raise ConfigError(
            "the private key is not a PEM-encoded RSA private key "
            "(expected '-----BEGIN PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----')"
        ) from None
    if not key.is_private:
        raise ConfigError("the key file holds a public key; pass the RSA private key instead")
    return key


def sign_assertion(
    private_key_pem: str,
    *,
    client_id: str,
    username: str,
    audience: str,
    now: int | None = None,
) -> str:
    """A compact RS256 JWT asserting `username` for the app `client_id` to `audience`."""
    issued_at = int(time.time()) if now is None else now
    assertion = sign_jwt_bearer_assertion(
        load_private_key(private_key_pem),
        issuer=client_id,
        audience=audience,
        subject=username,
        issued_at=issued_at,
        expires_at=issued_at + ASSERTION_LIFETIME,
        header={"alg": "RS256"},
    )
    register_secret(assertion)
    return assertion


def fetch_jwt_token(
    *,
    login_url: str,
    client_id: str,
    username: str,
    private_key_pem: str,
    audience: str | None = None,
    ca_bundle: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    http: requests.Session | None = None,
    customer: str | None = None,
    extra_hosts: Collection[str] = (),
) -> TokenResponse:
    """Sign an assertion and trade it for an access token at `{login_url}`'s token endpoint.

    `extra_hosts`: the customer's hosts besides Salesforce's domains (`crm.extra_hosts`).
    """
    assertion = sign_assertion(
        private_key_pem,
        client_id=client_id,
        username=username,
        audience=audience or default_audience(login_url, extra_hosts),
    )
    return request_token(
        login_url,
        {"grant_type": JWT_BEARER_GRANT, "assertion": assertion},
        verify=ca_bundle or True,
        timeout=timeout,
        http=http,
        customer=customer,
        extra_hosts=extra_hosts,
    )
