"""Talking to Salesforce's OAuth endpoints: `/services/oauth2/token` and `/revoke`.

Every grant (JWT bearer, authorization code, refresh token) ends in `request_token`, which
checks the TLS rule, posts the form, translates refusals once (`oauth_errors`) and parses the
answer into a `TokenResponse` whose tokens never show in its repr.

Errors: `AuthError` when Salesforce refuses the grant, `CrmTransient` when it cannot be
reached or answers with passing trouble (5xx, 429, "retry your request"; `Retry-After` kept),
`ConfigError` when a URL breaks the TLS rule.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from connector.crm.salesforce.http_session import CrmSession
from connector.crm.salesforce.network import network_problem
from connector.crm.salesforce.oauth_errors import is_transient, to_auth_error
from connector.crm.salesforce.tls import check_crm_url, check_instance_url
from connector.errors import AuthError, CrmTransient, register_secret, scrub

log = logging.getLogger(__name__)

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 (a URL path, not a secret)
REVOKE_PATH = "/services/oauth2/revoke"
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class TokenResponse:
    """A successful token answer. Tokens are kept out of `repr`."""

    access_token: str = field(repr=False)
    instance_url: str
    identity_url: str | None = None
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None

    @property
    def organization_id(self) -> str | None:
        """The org id, from the identity URL `…/id/{org}/{user}`."""
        return parse_identity_url(self.identity_url)[0]

    @property
    def user_id(self) -> str | None:
        """The user id, from the identity URL `…/id/{org}/{user}`."""
        return parse_identity_url(self.identity_url)[1]


def parse_identity_url(url: str | None) -> tuple[str | None, str | None]:
    """`(organization_id, user_id)` from an identity URL like `https://h/id/00D…/005…`."""
    if not url:
        return None, None
    segments = [part for part in urlsplit(url).path.split("/") if part]
    if len(segments) >= 3 and segments[-3] == "id":
        return segments[-2], segments[-1]
    return None, None


def parse_token_response(
    payload: Mapping[str, Any], login_url: str, extra_hosts: Collection[str] = ()
) -> TokenResponse:
    """A `TokenResponse` from the token endpoint's JSON; AuthError if it holds no token.

    Registers the tokens as secrets and checks `instance_url` against the host rule
    (`tls.check_instance_url`: a loopback instance only from a loopback login host).
    """
    access_token = payload.get("access_token")
    instance_url = payload.get("instance_url")
    if not isinstance(access_token, str) or not access_token:
        raise AuthError("the token endpoint answered without an access token", code="no_token")
    register_secret(access_token)
    refresh_token = payload.get("refresh_token") or None
    register_secret(refresh_token)
    if not isinstance(instance_url, str) or not instance_url:
        raise AuthError("the token endpoint answered without an instance_url", code="no_token")
    return TokenResponse(
        access_token=access_token,
        instance_url=check_instance_url(instance_url, login_url, extra_hosts),
        identity_url=payload.get("id"),
        refresh_token=refresh_token,
        scope=payload.get("scope"),
    )


def _post(
    url: str,
    form: Mapping[str, str],
    *,
    verify: str | bool,
    timeout: float,
    http: requests.Session | None,
) -> requests.Response:
    """POST a form; network failures become CrmTransient without leaking the form."""
    try:
        if http is not None:
            return http.post(url, data=dict(form), verify=verify, timeout=timeout)
        with CrmSession() as session:  # no password from ~/.netrc: see `http_session`
            return session.post(url, data=dict(form), verify=verify, timeout=timeout)
    except requests.RequestException as exc:
        raise CrmTransient(scrub(network_problem(exc, url)), code="unreachable") from None


def _refusal(response: requests.Response, customer: str | None) -> Exception:
    """The exception for a non-2xx answer of an OAuth endpoint."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = str(body.get("error") or "")
    description = str(body.get("error_description") or "")
    if is_transient(response.status_code, error):
        said = f" ({error})" if error else ""
        retry_after = response.headers.get("Retry-After", "")
        return CrmTransient(
            f"Salesforce's OAuth endpoint answered HTTP {response.status_code}{said}: "
            "a passing failure, not a refusal; try again shortly",
            code="oauth_unavailable",
            status=response.status_code,
            customer=customer,
            retry_after=float(retry_after) if retry_after.isdigit() else None,
        )
    if not error:
        error = f"http_{response.status_code}"
    return to_auth_error(error, description, customer=customer)


def request_token(
    login_url: str,
    form: Mapping[str, str],
    *,
    verify: str | bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    http: requests.Session | None = None,
    customer: str | None = None,
    extra_hosts: Collection[str] = (),
) -> TokenResponse:
    """POST `form` to `{login_url}/services/oauth2/token` and parse the answer.

    `extra_hosts`: the customer's hosts besides Salesforce's domains (`tls.check_crm_url`),
    for the login URL and the answer's instance URL alike.
    """
    url = check_crm_url(login_url, what="login URL", extra_hosts=extra_hosts) + TOKEN_PATH
    response = _post(url, form, verify=verify, timeout=timeout, http=http)
    if not response.ok:
        raise _refusal(response, customer)
    try:
        payload = response.json()
    except ValueError:
        raise AuthError("the token endpoint answered with something other than JSON") from None
    token = parse_token_response(payload, login_url, extra_hosts)
    log.info("obtained an access token (%s) for %s", form.get("grant_type"), customer or "-")
    return token


def revoke_token(
    login_url: str,
    token: str,
    *,
    verify: str | bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    http: requests.Session | None = None,
    customer: str | None = None,
    extra_hosts: Collection[str] = (),
) -> None:
    """Revoke an access or refresh token at `{login_url}/services/oauth2/revoke`.

    A token Salesforce no longer knows (`invalid_token`) counts as revoked already.
    """
    register_secret(token)
    url = check_crm_url(login_url, what="login URL", extra_hosts=extra_hosts) + REVOKE_PATH
    response = _post(url, {"token": token}, verify=verify, timeout=timeout, http=http)
    if response.ok:
        return
    error = _refusal(response, customer)
    if isinstance(error, AuthError) and error.code == "invalid_token":
        log.info("the token of %s was already revoked or expired", customer or "-")
        return
    raise error
