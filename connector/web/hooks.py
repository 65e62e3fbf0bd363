"""The resync hooks: Salesforce outbound messages and the signed JSON webhook.

Both end the same way: a `ResyncRequest` recorded for the customer (once per request id),
which the scheduler runs next, at most one sync at a time per customer.

- `POST /hooks/salesforce/{customer}`: a SOAP outbound message. The sending org must be
  the customer's connected org (the full 18-character id); when `hook_allowed_networks` is
  set, the sender's address must be in it (403). Each Notification Id is recorded once, so
  Salesforce's redeliveries are acknowledged without a second request.
  Errors are SOAP faults (Salesforce shows them in its delivery status and redelivers).
- `POST /hooks/{customer}/resync`: JSON signed with the customer's secret (see `signing`);
  forged or stale requests get 401, a replay of a seen signature 409.

Requests coalesce in the store: while one is pending, more are acknowledged but add nothing,
so a flood of messages costs one resync (which the scheduler also rations, `due`). Each
accepted call is audited with its actor: `salesforce:<org id>` or `webhook:signed`.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from connector.errors import PartitionViolation, StoreError
from connector.privacy.audit import record_audit
from connector.store.base import check_customer_id
from connector.store.resync import ResyncOutcome
from connector.store.tenant import TenantStore
from connector.web.guard import BodyTooLarge, client_address
from connector.web.metrics import Metrics
from connector.web.problems import Problem, set_refusal
from connector.web.settings import Network, WebSettings
from connector.web.signing import SignatureError, customer_secret, verify
from connector.web.soap import ACK, SoapError, canonical_org_id, fault, parse_outbound, same_org

log = logging.getLogger(__name__)
router = APIRouter(tags=["hooks"])
T = TypeVar("T")

XML_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/xml": {"schema": {"type": "string"}}},
    },
    "responses": {
        "200": {"description": "Acknowledged", "content": {"text/xml": {}}},
        "400": {"description": "SOAP fault: malformed or unsafe XML", "content": {"text/xml": {}}},
        "403": {"description": "SOAP fault: another org sent it", "content": {"text/xml": {}}},
        "404": {"description": "SOAP fault: unknown customer", "content": {"text/xml": {}}},
    },
}
JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"reason": {"type": "string", "maxLength": 200}},
                }
            }
        },
    }
}


async def read_body(request: Request) -> bytes:
    """The request body; the app's `BodyLimit` refuses (413) one over the limit as it streams."""
    try:
        return await request.body()
    except BodyTooLarge as exc:
        raise Problem(413, str(exc.detail)) from None


async def in_store(request: Request, customer: str, work: Callable[[TenantStore], T]) -> T:
    """Run `work` on the customer's store in a worker thread (the store is blocking I/O)."""
    store = TenantStore(request.app.state.engine, customer)
    return await run_in_threadpool(work, store)


def sender_allowed(address: str, networks: list[Network]) -> bool:
    """Whether `address` may send outbound messages: anyone when `networks` is empty."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _soap(status: int, message: str, metrics: Metrics, request: Request) -> Response:
    set_refusal(request.scope, message)
    metrics.inc("connector_hook_requests_total", hook="salesforce", outcome="refused")
    code = "Server" if status >= 500 else "Client"
    return Response(fault(message, code), status_code=status, media_type="text/xml")


@router.post(
    "/hooks/salesforce/{customer}",
    summary="Salesforce outbound message: record a resync request",
    openapi_extra=XML_BODY,
    response_class=Response,
)
async def outbound_message(customer: str, request: Request) -> Response:
    """Check the message's org, record each notification once, and acknowledge."""
    metrics: Metrics = request.app.state.metrics
    settings: WebSettings = request.app.state.web_settings
    if not sender_allowed(client_address(request.scope), settings.hook_allowed_networks):
        return _soap(403, "the sender's address is not allowed", metrics, request)
    try:
        check_customer_id(customer)
        body = await read_body(request)
        message = parse_outbound(body)
    except PartitionViolation:
        return _soap(404, "no such customer", metrics, request)
    except Problem as exc:
        return _soap(exc.status, exc.detail, metrics, request)
    except SoapError as exc:
        return _soap(400, str(exc), metrics, request)

    def record(store: TenantStore) -> list[ResyncOutcome] | str:
        connection = store.get_connection()
        if connection is None:
            return "no such customer"
        if not same_org(connection.organization_id or "", message.organization_id):
            return "the message comes from an org this customer is not connected to"
        outcomes = store.record_resyncs(message.notification_ids, "outbound_message")
        actor = f"salesforce:{canonical_org_id(message.organization_id)}"
        record_audit(store, actor, "resync_requested", _tally(outcomes))
        return outcomes

    try:
        result = await in_store(request, customer, record)
    except StoreError:
        log.error("customer %s: cannot record the outbound message (store error)", customer)
        return _soap(503, "cannot record the request now; it will be redelivered", metrics, request)
    if isinstance(result, str):
        return _soap(404 if result.startswith("no such") else 403, result, metrics, request)
    tally = _tally(result)
    _count(metrics, "salesforce", "outbound_message", tally)
    log.info(
        "customer %s: outbound message: %d recorded, %d coalesced, %d redelivered",
        customer,
        tally["recorded"],
        tally["coalesced"],
        tally["duplicate"],
    )
    return Response(ACK, status_code=200, media_type="text/xml")


def _tally(outcomes: list[ResyncOutcome]) -> dict[str, int]:
    return {kind: outcomes.count(kind) for kind in ("recorded", "coalesced", "duplicate")}


@router.post(
    "/hooks/{customer}/resync",
    summary="Signed webhook: record a resync request",
    status_code=202,
    openapi_extra=JSON_BODY,
    responses={401: {"description": "forged or stale"}, 409: {"description": "replayed"}},
)
async def signed_resync(
    customer: str,
    request: Request,
    x_connector_timestamp: str | None = Header(default=None),
    x_connector_signature: str | None = Header(default=None),
) -> JSONResponse:
    """Verify the HMAC signature and timestamp, refuse replays, record a resync request."""
    metrics: Metrics = request.app.state.metrics
    settings: WebSettings = request.app.state.web_settings
    try:
        request_id = await _verified_request_id(
            request, customer, settings, x_connector_timestamp, x_connector_signature
        )

        def record(store: TenantStore) -> ResyncOutcome | None:
            if store.get_connection() is None:
                return None
            outcome = store.record_resync(request_id, "webhook")
            if outcome != "duplicate":
                record_audit(store, "webhook:signed", "resync_requested", {"outcome": outcome})
            return outcome

        outcome = await in_store(request, customer, record)
        if outcome is None:
            raise Problem(404, "no such customer")
        if outcome == "duplicate":
            raise Problem(409, "this request was already received (replay refused)")
    except Problem:
        metrics.inc("connector_hook_requests_total", hook="webhook", outcome="refused")
        raise
    _count(metrics, "webhook", "webhook", _tally([outcome]))
    log.info("customer %s: signed resync request %s", customer, outcome)
    status = "pending" if outcome == "recorded" else "coalesced"
    return JSONResponse({"request_id": request_id, "status": status}, status_code=202)


async def _verified_request_id(
    request: Request,
    customer: str,
    settings: WebSettings,
    timestamp: str | None,
    signature: str | None,
) -> str:
    try:
        check_customer_id(customer)
    except PartitionViolation:
        raise Problem(404, "no such customer") from None
    if settings.webhook_secret is None:
        raise Problem(503, "signed webhooks are not configured (CONNECTOR_WEBHOOK_SECRET)")
    body = await read_body(request)
    secret = customer_secret(settings.webhook_secret.get_secret_value(), customer)
    try:
        signed = verify(
            secret, timestamp, signature, body, now=time.time(), max_age=settings.webhook_max_age
        )
    except SignatureError as exc:
        raise Problem(401, str(exc), {"WWW-Authenticate": "HMAC-SHA256"}) from None
    _check_json_object(body)
    return "sig:" + signed.signature[:60]


def _check_json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise Problem(400, "the body must be a JSON object") from None
    if not isinstance(payload, dict):
        raise Problem(400, "the body must be a JSON object")
    return payload


def _count(metrics: Metrics, hook: str, source: str, tally: dict[str, int]) -> None:
    new = tally["recorded"]
    outcome = "accepted" if new else "coalesced" if tally["coalesced"] else "duplicate"
    metrics.inc("connector_hook_requests_total", hook=hook, outcome=outcome)
    if new:
        metrics.inc("connector_resync_requests_recorded_total", float(new), source=source)
