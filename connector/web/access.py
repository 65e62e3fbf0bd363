"""Who may touch what: the one place that turns a bearer token into a yes or a no.

Routes declare the scope they need (`Depends(require("prospects:read"))`); this module finds
who is asking and decides. Two kinds of credential exist:

- the static `CONNECTOR_OPERATOR_TOKEN`: the bootstrap admin, every scope on every customer;
- issued tokens (`connector tokens issue`): a role, one customer, optionally one call list,
  and an expiry. They are stored only as hashes (`store.tokens`).

| scope              | admin | operator | platform | call-handler |
| ------------------ | ----- | -------- | -------- | ------------ |
| `status:read`      | yes   | yes      |          |              |
| `metrics:read`     | yes   |          |          |              |
| `activities:write` | yes   | yes      | yes      |              |
| `prospects:read`   | yes   | yes      | yes      | yes          |
| `fleet:write`      | yes   | yes      |          |              |

An issued token touches only its own customer (403 elsewhere) and, with a call list, only
that list (403 on another). An unknown, expired or revoked token is a 401. Every use of an
issued token, allowed or refused, is written to its customer's audit trail under the actor
`token:<name>`; the static token is named by its fingerprint (`operator:token-<sha256
prefix>`), never the token. Without a configured operator token the status, metrics, activity
and fleet routes answer loopback clients only (`operator:loopback`; `connector serve` refuses
to listen beyond loopback then); the read API never answers without a token (it serves personal
data). A route naming an erased customer answers 410 Gone to an authorised caller and writes
one `refused_erased` audit line (the caller and the route template), as CLI commands do.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from connector.loopback import is_loopback_host
from connector.privacy.audit import record_audit
from connector.privacy.tombstone import ErasedCustomer, refuse_if_erased
from connector.store.models import AccessToken, utcnow
from connector.store.tenant import TenantStore
from connector.store.tokens import ROLES, TokenStore, is_live
from connector.web.guard import client_address
from connector.web.problems import Problem, set_refusal
from connector.web.settings import WebSettings

log = logging.getLogger(__name__)

Scope = Literal["status:read", "metrics:read", "activities:write", "prospects:read", "fleet:write"]
SCOPES: tuple[Scope, ...] = (
    "status:read",
    "metrics:read",
    "activities:write",
    "prospects:read",
    "fleet:write",
)

ROLE_SCOPES: dict[str, frozenset[Scope]] = {
    "admin": frozenset(SCOPES),
    # metrics count across all customers, so no customer-bound token reads them
    "operator": frozenset({"status:read", "activities:write", "prospects:read", "fleet:write"}),
    "platform": frozenset({"activities:write", "prospects:read"}),
    "call-handler": frozenset({"prospects:read"}),
}
assert set(ROLE_SCOPES) == {"admin", *ROLES}, "every issuable role needs its scopes here"

#: Scopes served to loopback clients when no operator token is configured (no personal data).
OPEN_WHEN_UNCONFIGURED: frozenset[Scope] = frozenset(
    {"status:read", "metrics:read", "activities:write", "fleet:write"}
)
#: Declares the bearer scheme in the OpenAPI document (the check itself is `authorize`).
BEARER_SCHEME = HTTPBearer(
    auto_error=False,
    scheme_name="operator",
    description="CONNECTOR_OPERATOR_TOKEN or a token from `connector tokens issue`.",
)
_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a role, the token's name, and what it is confined to (None: anything)."""

    role: str
    name: str
    customer: str | None = None
    call_list: str | None = None

    @property
    def actor(self) -> str:
        """The audit actor of this principal."""
        return f"operator:{self.name}" if self.role == "admin" else f"token:{self.name}"


#: A loopback caller while no operator token is configured.
LOOPBACK = Principal(role="admin", name="loopback")


def token_fingerprint(token: str) -> str:
    """A short, stable name for a token that reveals nothing of it."""
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:12]


def decide(
    principal: Principal, scope: Scope, customer: str | None, call_list: str | None
) -> str | None:
    """None when `principal` may use `scope` on (`customer`, `call_list`), else why not."""
    if scope not in ROLE_SCOPES.get(principal.role, frozenset()):
        return f"a {principal.role} token may not use {scope}"
    if principal.customer is not None and customer != principal.customer:
        return "this token is not valid for this customer"
    if principal.call_list is not None and call_list not in (None, principal.call_list):
        return "this token is not valid for this call list"
    return None


def bearer(request: Request) -> str | None:
    """The bearer token the request carries, or None."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    return header[7:].strip() or None


def principal_of(token: AccessToken) -> Principal:
    """The principal an issued token stands for."""
    return Principal(
        role=token.role, name=token.name, customer=token.customer_id, call_list=token.call_list
    )


def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency: the caller's principal, or a 401/403 problem."""

    async def dependency(
        request: Request,
        _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)],
    ) -> Principal:
        principal = await authorize(request, scope)
        request.state.actor = principal.actor  # for the access log
        return principal

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    return dependency


async def authorize(request: Request, scope: Scope) -> Principal:
    """Identify the caller of `request` and check `scope` on its customer and call list."""
    settings: WebSettings = request.app.state.web_settings
    sent = bearer(request)
    configured = settings.operator_token
    if configured is not None and sent is not None:
        expected = configured.get_secret_value()
        if hmac.compare_digest(sent.encode(), expected.encode()):
            return await _not_erased(request, Principal("admin", token_fingerprint(expected)))
    if sent is None:
        if configured is None and scope in OPEN_WHEN_UNCONFIGURED:
            if is_loopback_host(client_address(request.scope)):
                return await _not_erased(request, LOOPBACK)
            raise Problem(
                401, "the operator API is open to loopback clients only (no operator token)"
            )
        raise Problem(401, "a bearer token is required", _UNAUTHORIZED)
    token = await run_in_threadpool(TokenStore(request.app.state.engine).find, sent)
    if token is None:
        log.warning("refused an unknown bearer token on %s", _route(request))
        raise Problem(401, "the bearer token is not valid", _UNAUTHORIZED)
    principal = principal_of(token)
    if not is_live(token, utcnow()):
        state = "revoked" if token.revoked_at is not None else "expired"
        await _audit(request, principal, scope, f"refused:{state}")
        raise Problem(401, f"the bearer token has {state}", _UNAUTHORIZED)
    params = request.path_params
    reason = decide(principal, scope, params.get("customer"), params.get("call_list"))
    await _audit(request, principal, scope, "refused" if reason else "allowed")
    if reason is not None:
        raise Problem(403, reason)
    return await _not_erased(request, principal)


async def _not_erased(request: Request, principal: Principal) -> Principal:
    """`principal`, unless the route names an erased customer: then 410 Gone, after one
    refused-attempt audit line (the caller and the route template, no personal data)."""
    customer = request.path_params.get("customer")
    if customer is None:
        return principal
    engine = request.app.state.engine
    try:
        await run_in_threadpool(
            refuse_if_erased, engine, customer, principal.actor, f"api {_route(request)}"
        )
    except ErasedCustomer as exc:
        set_refusal(request.scope, "erased customer")
        raise Problem(410, str(exc)) from None
    return principal


def _route(request: Request) -> str:
    """The route template (`/api/customers/{customer}`), never the concrete path or query."""
    return str(getattr(request.scope.get("route"), "path", "unknown"))


async def _audit(request: Request, principal: Principal, scope: Scope, outcome: str) -> None:
    assert principal.customer is not None  # issued tokens always name their customer
    store = TenantStore(request.app.state.engine, principal.customer)
    detail = {"scope": scope, "route": _route(request), "outcome": outcome}
    await run_in_threadpool(record_audit, store, principal.actor, "api_access", detail)
