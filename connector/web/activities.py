"""`POST /api/customers/{customer}/activities`: the platform records calls and emails here.

The body is a JSON list of activities (metadata only: the model refuses bodies, recordings
and transcripts). They join the customer's outbox; the next push writes them as Tasks.
Recording the same activity id again is a no-op, so the platform may retry freely.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from connector.privacy.audit import record_audit
from connector.runtime import suppression_check
from connector.sync.activities import ActivityIn
from connector.sync.push import record_activities
from connector.web.access import Principal, require
from connector.web.problems import Problem
from connector.web.status import tenant_store

router = APIRouter()

MAX_BATCH = 1000


@router.post(
    "/api/customers/{customer}/activities",
    tags=["activities"],
    summary="Queue call and email activities for write-back",
    status_code=202,
)
async def post_activities(
    customer: str,
    request: Request,
    activities: Annotated[list[ActivityIn], Body(max_length=MAX_BATCH)],
    caller: Annotated[Principal, Depends(require("activities:write"))],
) -> JSONResponse:
    """Record up to 1,000 activities; answers what was created, updated or unchanged."""
    store = tenant_store(request, customer)
    row = await run_in_threadpool(store.get_customer)
    if row is None:
        raise Problem(404, "no such customer")
    if row.status == "paused":
        raise Problem(409, "the customer is paused (offboarding); activities are not accepted")
    check = await run_in_threadpool(suppression_check, store)
    result = await run_in_threadpool(record_activities, store, activities, check)
    await run_in_threadpool(
        record_audit, store, caller.actor, "activities_import", {"count": len(activities)}
    )
    return JSONResponse(
        {
            "customer": customer,
            "created": result.created,
            "updated": result.updated,
            "requeued": result.requeued,
            "unchanged": result.unchanged,
            "suppressed": result.suppressed,
        },
        status_code=202,
    )
