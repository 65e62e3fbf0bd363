"""The fleet page: every customer at a glance, trouble first, filterable, refreshing itself.

The same data as `connector status` and `GET /api/customers` (`connector.ops.fleet`). The
table body is also served alone (`GET /fleet/rows`), which the page polls with htmx; without
JavaScript the page is complete and the filter is a plain GET form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from connector.config import get_settings
from connector.console.deps import require_role
from connector.console.session import Person
from connector.console.templating import render
from connector.console.views import STATE_FILTERS, filter_fleet, usage_bar
from connector.ops.fleet import load_fleet

router = APIRouter()

Reader = Annotated[Person, Depends(require_role("read-only"))]


async def _rows(request: Request, q: str, state: str) -> dict[str, object]:
    settings = get_settings()
    fleet = await run_in_threadpool(
        load_fleet,
        request.app.state.engine,
        settings.field_maps_dir,
        budget_share=settings.api_budget_share,
    )
    shown = filter_fleet(fleet, q, state)
    return {
        "customers": [(status, usage_bar(status)) for status in shown],
        "total": len(fleet),
        "q": q,
        "state": state,
        "states": STATE_FILTERS,
        "poll_seconds": request.app.state.console_settings.poll_seconds,
    }


@router.get("/", name="fleet")
async def fleet(
    request: Request,
    person: Reader,
    q: Annotated[str, Query(max_length=64)] = "",
    state: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The fleet page."""
    return render(request, "fleet.html", await _rows(request, q, state))


@router.get("/fleet/rows", name="fleet_rows")
async def fleet_rows(
    request: Request,
    person: Reader,
    q: Annotated[str, Query(max_length=64)] = "",
    state: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The fleet table's body alone (what the page polls)."""
    return render(request, "_fleet_rows.html", await _rows(request, q, state))
