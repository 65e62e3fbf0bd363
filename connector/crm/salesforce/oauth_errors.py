"""What Salesforce's OAuth errors mean and what an operator should do about them (pure).

Salesforce answers a refused token request with HTTP 400 (sometimes 401) and a body
`{"error": "<code>", "error_description": "<text>"}`. `to_auth_error` turns that pair into an
`AuthError` whose `code` is Salesforce's `error` and whose message ends with a fix. The most
specific row of `KNOWN_FAILURES` wins: a row with a description fragment beats one without.
`is_transient` tells passing trouble (5xx, 429, "retry your request") from such a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.errors import AuthError


@dataclass(frozen=True)
class OAuthFailure:
    """One known refusal: Salesforce's `error`, a fragment of its description, and the fix."""

    error: str
    fragment: str
    meaning: str
    fix: str


KNOWN_FAILURES: tuple[OAuthFailure, ...] = (
    OAuthFailure(
        "invalid_grant",
        "hasn't approved this consumer",
        "the user has not approved (and is not pre-authorized for) the connected app",
        "in the connected app set 'Admin approved users are pre-authorized' and add the "
        "user's profile or permission set, or approve the app once with `connector auth login`",
    ),
    OAuthFailure(
        "invalid_grant",
        "not admin approved",
        "the connected app requires admin approval and the user is not assigned to it",
        "assign the user's profile or permission set to the connected app",
    ),
    OAuthFailure(
        "invalid_grant",
        "audience",
        "the JWT audience (aud) is not accepted",
        "use --audience https://login.salesforce.com (production) or "
        "https://test.salesforce.com (sandbox); keep the My Domain only as --login-url",
    ),
    OAuthFailure(
        "invalid_grant",
        "invalid assertion",
        "the JWT signature, issuer or expiry was rejected",
        "upload the certificate of this private key to the connected app, check that "
        "--client-id is its consumer key, and check this machine's clock",
    ),
    OAuthFailure(
        "invalid_grant",
        "ip restricted",
        "the connected app's IP restrictions refuse this machine",
        "relax the app's IP relaxation policy or run the connector from an allowed address",
    ),
    OAuthFailure(
        "invalid_grant",
        "expired access/refresh token",
        "the refresh token expired or was revoked",
        "reconnect the customer with `connector auth login CUSTOMER`",
    ),
    OAuthFailure(
        "invalid_grant",
        "authorization code",
        "the authorization code was already used, expired, or does not match",
        "run `connector auth login CUSTOMER` again and finish within a few minutes",
    ),
    OAuthFailure(
        "invalid_grant",
        "code verifier",
        "the PKCE code verifier does not match the challenge",
        "run `connector auth login CUSTOMER` again",
    ),
    OAuthFailure(
        "invalid_grant",
        "",
        "Salesforce refused the grant",
        "check the connected app settings and the user, then reconnect the customer",
    ),
    OAuthFailure(
        "invalid_client_id",
        "",
        "the consumer key is unknown to this org",
        "pass the connected app's consumer key as --client-id and check --login-url",
    ),
    OAuthFailure(
        "invalid_client",
        "",
        "the client could not be authenticated",
        "check the consumer key, and whether the app requires a secret for the web flow "
        "(turn 'Require Secret for Web Server Flow' off for PKCE)",
    ),
    OAuthFailure(
        "redirect_uri_mismatch",
        "",
        "the callback URL is not registered on the connected app",
        "add http://127.0.0.1:PORT/callback (the --port in use) to the app's callback URLs",
    ),
    OAuthFailure(
        "unsupported_grant_type",
        "",
        "the connected app does not allow this OAuth flow",
        "enable the flow on the connected app (JWT: 'Use digital signatures')",
    ),
    OAuthFailure(
        "access_denied",
        "",
        "the user denied access in the browser",
        "run `connector auth login CUSTOMER` again and allow access",
    ),
    OAuthFailure(
        "inactive_user",
        "",
        "the Salesforce user is inactive",
        "reactivate the integration user or connect with another one",
    ),
    OAuthFailure(
        "inactive_org",
        "",
        "the Salesforce org is inactive or locked",
        "ask the customer's Salesforce admin to reactivate the org",
    ),
)

_FALLBACK = OAuthFailure(
    "", "", "Salesforce refused the request", "check the connected app settings and reconnect"
)


#: Every `error` that means Salesforce refused the grant or the app: a person must act.
REFUSALS = frozenset(failure.error for failure in KNOWN_FAILURES)

#: `error` values that mean "not now" rather than "no": retried like any transient answer.
TRANSIENT_ERRORS = frozenset(
    {"unknown_error", "server_unavailable", "temporarily_unavailable", "request_limit_exceeded"}
)

#: HTTP statuses of a passing failure (as for every other Salesforce call).
TRANSIENT_STATUSES = frozenset({408, 420, 429})


def is_transient(status: int, error: str) -> bool:
    """Whether a failed OAuth answer is passing trouble (retry) rather than a refusal.

    A known refusal (`invalid_grant` and its kin) is never transient, whatever the status;
    otherwise 5xx, 408, 420, 429 and Salesforce's "retry your request" codes are.
    """
    if error in REFUSALS:
        return False
    return error in TRANSIENT_ERRORS or status in TRANSIENT_STATUSES or status >= 500


def classify(error: str, description: str) -> OAuthFailure:
    """The most specific known failure for Salesforce's `error` and `error_description`."""
    wanted = description.lower()
    candidates = [f for f in KNOWN_FAILURES if f.error == error and f.fragment in wanted]
    if not candidates:
        return _FALLBACK
    return max(candidates, key=lambda failure: len(failure.fragment))


def to_auth_error(error: str, description: str = "", *, customer: str | None = None) -> AuthError:
    """An AuthError for a refused OAuth request: Salesforce's words, the meaning and a fix."""
    failure = classify(error, description)
    said = f"{error}: {description}" if description else error
    return AuthError(
        f"Salesforce refused the request ({said}): {failure.meaning}. Fix: {failure.fix}",
        code=error or None,
        customer=customer,
    )
