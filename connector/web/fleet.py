"""Operator endpoints over `connector.ops`: every customer at a glance, pause and resume.

The same data as `connector status`, as JSON: states, runs, counts, API usage and error
codes, never personal data. Every route needs the operator credential.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from connector.config import get_settings
from connector.errors import ConfigError, PartitionViolation
from connector.ops.fleet import load_customer, load_fleet, require_known_customer
from connector.ops.pause import pause_customer, resume_customer
from connector.store.admin import AdminStore
from connector.store.tenant import TenantStore
from connector.web.access import Principal, require
from connector.web.problems import Problem

router = APIRouter(tags=["fleet"])


@router.get(
    "/api/customers",
    summary="Every customer's status, trouble first (paged)",
    dependencies=[Depends(require("status:read"))],
)
async def list_customers(
    request: Request,
    offset: int = Query(0, ge=0, description="How many customers to skip."),
    limit: int = Query(50, ge=1, le=500, description="How many customers to return."),
) -> JSONResponse:
    """State, last run, next due time, API usage and backlog of each customer."""
    settings = get_settings()
    fleet = await run_in_threadpool(
        load_fleet,
        request.app.state.engine,
        settings.field_maps_dir,
        budget_share=settings.api_budget_share,
    )
    page = fleet[offset : offset + limit]
    more = offset + limit < len(fleet)
    return JSONResponse(
        {
            "total": len(fleet),
            "offset": offset,
            "customers": [status.to_json() for status in page],
            "next_offset": offset + limit if more else None,
        }
    )


@router.get(
    "/api/customers/{customer}",
    summary="A customer's status in depth",
    dependencies=[Depends(require("status:read"))],
)
async def customer_status(customer: str, request: Request) -> JSONResponse:
    """The fleet entry of one customer, with its last ten runs."""
    settings = get_settings()
    engine = request.app.state.engine
    await _require_known(engine, settings.field_maps_dir, customer)
    status = await run_in_threadpool(
        load_customer, engine, customer, budget_share=settings.api_budget_share
    )
    data: dict[str, Any] = status.to_json(detail=True)
    schedule = await run_in_threadpool(TenantStore(engine, customer).schedule_state)
    data["status"] = schedule.status
    data["last_run_at"] = schedule.last_run_at.isoformat() if schedule.last_run_at else None
    return JSONResponse(data)


@router.post("/api/customers/{customer}/pause", summary="Stop syncing a customer")
async def pause(
    customer: str,
    request: Request,
    caller: Annotated[Principal, Depends(require("fleet:write"))],
    reason: str = Body(..., embed=True, min_length=1, max_length=200),
) -> JSONResponse:
    """Pause pulls and pushes (activities still queue); the reason shows in the status."""
    engine = request.app.state.engine
    await _require_known(engine, get_settings().field_maps_dir, customer)
    changed = await _run(
        pause_customer,
        TenantStore(engine, customer),
        AdminStore(engine),
        actor=caller.actor,
        reason=reason,
    )
    return JSONResponse({"customer": customer, "state": "paused", "changed": changed})


@router.post("/api/customers/{customer}/resume", summary="Let a paused customer sync again")
async def resume(
    customer: str,
    request: Request,
    caller: Annotated[Principal, Depends(require("fleet:write"))],
) -> JSONResponse:
    """Resume a paused customer (not one paused for a pending erasure: 409)."""
    engine = request.app.state.engine
    await _require_known(engine, get_settings().field_maps_dir, customer)
    changed = await _run(
        resume_customer, TenantStore(engine, customer), AdminStore(engine), actor=caller.actor
    )
    return JSONResponse({"customer": customer, "changed": changed})


async def _require_known(engine: Any, field_maps_dir: Any, customer: str) -> None:
    try:
        await run_in_threadpool(require_known_customer, engine, field_maps_dir, customer)
    except (ConfigError, PartitionViolation):
        raise Problem(404, "no such customer") from None


async def _run(func: Any, *args: Any, **kwargs: Any) -> bool:
    try:
        return bool(await run_in_threadpool(func, *args, **kwargs))
    except ConfigError as exc:
        raise Problem(409, str(exc)) from None
