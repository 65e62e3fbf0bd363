"""Operator endpoints: health, a customer's status and recent runs, and metrics.

Nothing here shows personal data: runs carry ids, counts, API usage and error *codes* (an
error message may quote a record, so it stays in the CLI's `connector runs`). Who may call
each route is decided in `web.access` (the scope each route declares); without
`CONNECTOR_OPERATOR_TOKEN` the operator routes answer loopback clients only (and
`connector serve` refuses to listen beyond loopback).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from connector.store.admin import as_utc
from connector.store.models import SyncRun
from connector.store.tenant import TenantStore
from connector.web.access import require
from connector.web.metrics import CONTENT_TYPE
from connector.web.problems import Problem

router = APIRouter()

RUN_FIELDS: tuple[str, ...] = (
    "run_id",
    "kind",
    "trigger",
    "full",
    "status",
    "reports",
    "rows_read",
    "prospects_written",
    "prospects_unchanged",
    "prospects_removed",
    "memberships_added",
    "memberships_removed",
    "rejected",
    "suppressed",
    "activities_pushed",
    "activities_failed",
    "api_calls",
    "api_used",
    "api_limit",
    "error_code",
)


def iso(when: datetime | None) -> str | None:
    """A timestamp as ISO 8601 UTC with a `Z`, or None."""
    return as_utc(when).isoformat().replace("+00:00", "Z") if when else None


def run_json(run: SyncRun) -> dict[str, Any]:
    """A run as JSON: its counters and error code, no personal data."""
    data: dict[str, Any] = {name: getattr(run, name) for name in RUN_FIELDS}
    data["started_at"] = iso(run.started_at)
    data["finished_at"] = iso(run.finished_at)
    return data


@router.get("/healthz", tags=["status"], summary="Liveness and store reachability")
async def healthz(request: Request) -> JSONResponse:
    """200 when the store answers, 503 when it does not."""

    def ping() -> None:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await run_in_threadpool(ping)
    except Exception:  # any driver error means the store is down for this check
        raise Problem(503, "the store does not answer") from None
    return JSONResponse({"status": "ok"})


def tenant_store(request: Request, customer: str) -> TenantStore:
    return TenantStore(request.app.state.engine, customer)


@router.get(
    "/api/customers/{customer}/runs",
    tags=["status"],
    summary="A customer's recent runs",
    dependencies=[Depends(require("status:read"))],
)
async def customer_runs(
    customer: str, request: Request, limit: int = Query(20, ge=1, le=200)
) -> JSONResponse:
    """The most recent runs first: kind, trigger, status, counters, API usage, error code."""
    store = tenant_store(request, customer)
    if await run_in_threadpool(store.get_customer) is None:
        raise Problem(404, "no such customer")
    runs = await run_in_threadpool(store.list_runs, limit)
    return JSONResponse({"customer": customer, "runs": [run_json(run) for run in runs]})


@router.get(
    "/metrics",
    tags=["status"],
    summary="Counters in Prometheus text format",
    dependencies=[Depends(require("metrics:read"))],
    response_class=PlainTextResponse,
)
async def metrics(request: Request) -> PlainTextResponse:
    """Every counter, for a Prometheus scrape."""
    body = await run_in_threadpool(request.app.state.metrics.render)
    return PlainTextResponse(body, media_type=CONTENT_TYPE)
