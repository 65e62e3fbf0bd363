"""The field map page: the customer's map, the online check, a preview, a draft for a new one.

    GET /customers/{c}/fieldmap                 the map rendered (read-only role)
    GET /customers/{c}/fieldmap/check           ... with the org's answer per report and column
    GET /customers/{c}/fieldmap/preview         ... with the first rows as mapped (operator;
                                                shown once, never stored)
    GET /customers/{c}/fieldmap/draft?folder=F  a draft from the folder's reports (operator),
    GET /customers/{c}/fieldmap/draft.yaml      ... and the same as a file to download

The check, the preview and the draft call the org through the customer's stored connection,
with the same code as `connector fieldmap check`, `preview` and `init`; nothing here writes.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from connector.config import get_settings
from connector.console.customer_page import Customer
from connector.console.deps import Refused, require_role
from connector.console.fieldmap_data import PREVIEW_LIMIT, check_online, load_map, preview
from connector.console.session import Person
from connector.console.templating import render
from connector.drafting import fetch_draft
from connector.errors import ConnectorError
from connector.fieldmap.validators import FOLDER
from connector.store.tenant import TenantStore

router = APIRouter()

Reader = Annotated[Person, Depends(require_role("read-only"))]
Operator = Annotated[Person, Depends(require_role("operator"))]
Folder = Annotated[str, Query(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_]+$")]


def _context(customer: str, **extra: Any) -> dict[str, Any]:
    view = load_map(customer, get_settings().field_maps_dir)
    return {"customer": customer, "map": view, "fm": view.field_map, **extra}


@router.get("/customers/{customer}/fieldmap", name="fieldmap")
async def fieldmap_page(request: Request, person: Reader, customer: Customer) -> Response:
    """The customer's field map as a page."""
    context = await run_in_threadpool(_context, customer)
    return render(request, "fieldmap.html", context)


@router.get("/customers/{customer}/fieldmap/check", name="fieldmap_check")
async def fieldmap_check(request: Request, person: Reader, customer: Customer) -> Response:
    """The map, and the org's answer for every report and mapped column."""
    context = await run_in_threadpool(_context, customer)
    if context["fm"] is None:
        raise Refused(409, "There is no valid field map to check.")
    context["check"] = await run_in_threadpool(
        check_online, request.app.state.engine, get_settings(), context["fm"]
    )
    return render(request, "fieldmap.html", context)


@router.get("/customers/{customer}/fieldmap/preview", name="fieldmap_preview")
async def fieldmap_preview(
    request: Request,
    person: Operator,
    customer: Customer,
    report: Annotated[str, Query(max_length=80)] = "",
) -> Response:
    """The map, and the first rows of one report as mapped (shown once, never stored)."""
    context = await run_in_threadpool(_context, customer)
    if context["fm"] is None:
        raise Refused(409, "There is no valid field map to preview.")
    context["preview"] = await run_in_threadpool(
        preview, request.app.state.engine, get_settings(), context["fm"], report, PREVIEW_LIMIT
    )
    return render(request, "fieldmap.html", context)


async def _draft(request: Request, customer: str, folder: str) -> tuple[str, int]:
    if not re.fullmatch(FOLDER, folder):
        raise Refused(400, "That is not a report folder's developer name or id.")
    store = TenantStore(request.app.state.engine, customer)
    try:
        return await run_in_threadpool(fetch_draft, store, get_settings(), folder)
    except ConnectorError as exc:
        raise Refused(409, f"No draft: {exc}") from None


@router.get("/customers/{customer}/fieldmap/draft", name="fieldmap_draft")
async def fieldmap_draft(
    request: Request, person: Operator, customer: Customer, folder: Folder
) -> Response:
    """A draft map from the folder's reports, to copy or download (not saved anywhere)."""
    text, reports = await _draft(request, customer, folder)
    context = {
        "customer": customer,
        "folder": folder,
        "draft": text,
        "reports": reports,
        "todos": text.count("# TODO:"),
    }
    return render(request, "fieldmap_draft.html", context)


@router.get("/customers/{customer}/fieldmap/draft.yaml", name="fieldmap_draft_file")
async def fieldmap_draft_file(
    request: Request, person: Operator, customer: Customer, folder: Folder
) -> Response:
    """The draft as `CUSTOMER.yaml`, for field_maps/."""
    text, _ = await _draft(request, customer, folder)
    disposition = f'attachment; filename="{customer}.yaml"'
    return PlainTextResponse(
        text, media_type="application/yaml", headers={"content-disposition": disposition}
    )
