"""The resync hooks: Salesforce outbound messages and the signed JSON webhook.

Both end the same way: a `ResyncRequest` recorded for the customer (once per request id),
which the scheduler runs next, at most one sync at a time per customer.

- `POST /hooks/salesforce/{customer}`: a SOAP outbound message. The sending org must be
  the customer's connected org (first 15 characters of the id); each Notification Id is
  recorded once, so Salesforce's redeliveries are acknowledged without a second request.
  Errors are SOAP faults (Salesforce shows them in its delivery status and redelivers).
- `POST /hooks/{customer}/resync`: JSON signed with the customer's secret (see `signing`);
  forged or stale requests get 401, a replay of a seen signature 409.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from connector.errors import PartitionViolation, StoreError
from connector.store.base import check_customer_id
from connector.store.tenant import TenantStore
from connector.web.metrics import Metrics
from connector.web.problems import Problem
from connector.web.settings import WebSettings
from connector.web.signing import SignatureError, customer_secret, verify
from connector.web.soap import ACK, SoapError, fault, parse_outbound, same_org

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


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes (413) without reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def in_store(request: Request, customer: str, work: Callable[[TenantStore], T]) -> T:
    """Run `work` on the customer's store in a worker thread (the store is blocking I/O)."""
    store = TenantStore(request.app.state.engine, customer)
    return await run_in_threadpool(work, store)


def _soap(status: int, message: str, metrics: Metrics) -> Response:
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
    try:
        check_customer_id(customer)
        body = await read_body(request, settings.max_body_bytes)
        message = parse_outbound(body)
    except PartitionViolation:
        return _soap(404, "no such customer", metrics)
    except Problem as exc:
        return _soap(exc.status, exc.detail, metrics)
    except SoapError as exc:
        return _soap(400, str(exc), metrics)

    def record(store: TenantStore) -> tuple[int, int] | str:
        connection = store.get_connection()
        if connection is None:
            return "no such customer"
        if not same_org(connection.organization_id or "", message.organization_id):
            return "the message comes from an org this customer is not connected to"
        new = sum(store.record_resync(n, "outbound_message") for n in message.notification_ids)
        return new, len(message.notification_ids) - new

    try:
        result = await in_store(request, customer, record)
    except StoreError:
        log.error("customer %s: cannot record the outbound message (store error)", customer)
        return _soap(503, "cannot record the request now; it will be redelivered", metrics)
    if isinstance(result, str):
        return _soap(404 if result.startswith("no such") else 403, result, metrics)
    new, duplicates = result
    _count(metrics, "salesforce", "outbound_message", new, duplicates)
    log.info("customer %s: outbound message: %d new, %d redelivered", customer, new, duplicates)
    return Response(ACK, status_code=200, media_type="text/xml")


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

        def record(store: TenantStore) -> bool | None:
            if store.get_connection() is None:
                return None
            return store.record_resync(request_id, "webhook")

        recorded = await in_store(request, customer, record)
        if recorded is None:
            raise Problem(404, "no such customer")
        if not recorded:
            raise Problem(409, "this request was already received (replay refused)")
    except Problem:
        metrics.inc("connector_hook_requests_total", hook="webhook", outcome="refused")
        raise
    _count(metrics, "webhook", "webhook", 1, 0)
    log.info("customer %s: signed resync request recorded", customer)
    return JSONResponse({"request_id": request_id, "status": "pending"}, status_code=202)


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
    body = await read_body(request, settings.max_body_bytes)
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


def _count(metrics: Metrics, hook: str, source: str, new: int, duplicates: int) -> None:
    outcome = "accepted" if new else "duplicate"
    metrics.inc("connector_hook_requests_total", hook=hook, outcome=outcome)
    if new:
        metrics.inc("connector_resync_requests_recorded_total", float(new), source=source)
