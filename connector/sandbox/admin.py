"""Unauthenticated control endpoints under ``/__sandbox/`` for tests in other processes.

Never logged. ``GET/DELETE requests``, ``GET/PUT/DELETE faults``, ``POST expire-tokens``,
``POST apps``, ``GET tasks``, ``GET state``, ``PATCH settings`` (access_token_ttl,
api_usage, api_daily_max, auto_consent) and ``POST outbound-message``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from connector.sandbox.errors import ApiError
from connector.sandbox.faults import FaultRule
from connector.sandbox.formats import rest_value
from connector.sandbox.oauth import org_of
from connector.sandbox.outbound import send_outbound_message
from connector.sandbox.tokens import ConnectedApp

router = APIRouter(prefix="/__sandbox")


def _bad(message: str) -> ApiError:
    return ApiError(400, "BAD_REQUEST", message)


@router.get("/requests")
def requests_log(request: Request) -> Response:
    return JSONResponse([entry.to_json() for entry in org_of(request).request_log])


@router.delete("/requests")
def clear_requests(request: Request) -> Response:
    org_of(request).clear_request_log()
    return Response(status_code=204)


@router.get("/faults")
def faults(request: Request) -> Response:
    return JSONResponse([rule.to_json() for rule in org_of(request).faults])


@router.put("/faults")
async def set_faults(request: Request) -> Response:
    body = await request.json()
    if not isinstance(body, list):
        raise _bad("PUT a JSON list of fault rules")
    try:
        rules = [FaultRule.from_json(item) for item in body]
    except (TypeError, ValueError) as exc:
        raise _bad(str(exc)) from exc
    org_of(request).set_faults(rules)
    return JSONResponse([rule.to_json() for rule in rules])


@router.delete("/faults")
def clear_faults(request: Request) -> Response:
    org_of(request).clear_faults()
    return Response(status_code=204)


@router.post("/expire-tokens")
def expire_tokens(request: Request) -> Response:
    org_of(request).expire_all_access_tokens()
    return Response(status_code=204)


@router.post("/apps")
async def register_app(request: Request) -> Response:
    body = await request.json()
    if not isinstance(body, dict) or not body.get("client_id"):
        raise _bad("an app needs a client_id")
    pem = body.get("jwt_certificate_pem") or body.get("certificate_pem")
    app = ConnectedApp(
        client_id=str(body["client_id"]),
        jwt_certificate_pem=pem.encode() if isinstance(pem, str) else None,
        client_secret=body.get("client_secret"),
        redirect_uris=list(body.get("redirect_uris") or []),
        rotate_refresh_tokens=bool(body.get("rotate_refresh_tokens", False)),
        pre_authorized_usernames=list(
            body.get("pre_authorized_usernames") or ["integration@demo.example"]
        ),
    )
    org_of(request).register_app(app)
    return JSONResponse({"client_id": app.client_id}, status_code=201)


@router.get("/tasks")
def tasks(request: Request) -> Response:
    org = org_of(request)
    rows = [{k: rest_value(v) for k, v in row.items()} for row in org.tasks.iter_rows()]
    return JSONResponse(rows)


@router.get("/state")
def state(request: Request) -> Response:
    return JSONResponse(org_of(request).describe_state())


@router.patch("/settings")
async def settings(request: Request) -> Response:
    org = org_of(request)
    body: dict[str, Any] = await request.json()
    if "access_token_ttl" in body:
        org.access_token_ttl = body["access_token_ttl"]
    if "api_usage" in body:
        org.api_usage = int(body["api_usage"])
    if "api_daily_max" in body:
        org.api_daily_max = int(body["api_daily_max"])
    if "auto_consent" in body:
        org.auto_consent = bool(body["auto_consent"])
    limits = org.report_limits
    if "hourly_sync_report_runs" in body:
        limits.hourly_sync_max = int(body["hourly_sync_report_runs"])
    if "hourly_async_report_runs" in body:
        limits.hourly_async_max = int(body["hourly_async_report_runs"])
    if "sync_timeout_scale" in body:
        limits.sync_timeout_scale = float(body["sync_timeout_scale"])
    if "advance_clock_seconds" in body:
        limits.advance(float(body["advance_clock_seconds"]))
    return JSONResponse(org.describe_state())


@router.post("/outbound-message")
def outbound_message(request: Request, body: dict[str, Any]) -> Response:
    org = org_of(request)
    if not body.get("url") or not body.get("record_id"):
        raise _bad("url and record_id are required")
    result = send_outbound_message(
        org,
        url=str(body["url"]),
        sobject=str(body.get("object") or "Contact"),
        record_id=str(body["record_id"]),
        fields=dict(body.get("fields") or {}),
        attempts=int(body.get("attempts", 3)),
        retry_delay=float(body.get("retry_delay", 0.0)),
        verify=body.get("verify", True),
    )
    return JSONResponse(result.to_json())
