"""The platform's read API: call lists and their prospects, paged, with a change feed.

- `GET /api/customers/{customer}/call-lists`
- `GET /api/customers/{customer}/call-lists/{call_list}/prospects` pages members in CRM-id
  order (`cursor`); the last page hands out a change cursor, and `?since=<it>` then returns
  only members written or added after it, and members that left the list or were forgotten
  (`{"crm_id": ..., "removed": true}`), so the platform follows changes without rereading.
  Removals are remembered for `CONNECTOR_CHANGE_LOG_DAYS`; an older cursor gets 410.
- `GET /api/customers/{customer}/prospects/{crm_id}`

Every route needs the `prospects:read` scope (`web.access`); a call-handler token bound to a
call list sees that list only, and that list's removals. Reads go through `TenantStore`. A
prospect carries its CRM id and exactly the fields the customer's field map names, nothing
else; a forgotten person's row is deleted, so they never appear but as a removal (CRM id only)
in a change feed. Without a readable field map nothing is served (503).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from starlette.concurrency import run_in_threadpool

from connector.errors import FieldMapError
from connector.fieldmap import load_field_map
from connector.privacy.field_crypto import FieldCipher
from connector.privacy.keys import customer_cipher, prospect_fields
from connector.store.models import CallList, Prospect, utcnow
from connector.store.read_rows import Change, ChangePosition
from connector.store.tenant import TenantStore
from connector.web.access import Principal, require
from connector.web.cursors import (
    PageCursor,
    decode_change,
    decode_page,
    encode_change,
    encode_page,
)
from connector.web.problems import Problem
from connector.web.settings import WebSettings
from connector.web.status import iso

router = APIRouter(tags=["read"])

MAX_PAGE = 1000
_CRM_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_EXAMPLE_PROSPECT: dict[str, JsonValue] = {
    "crm_id": "003000000000001AAA",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "+14155550100",
}
_EXAMPLE_REMOVAL: dict[str, JsonValue] = {"crm_id": "003000000000002AAA", "removed": True}


class CallListOut(BaseModel):
    """A call list (a report in the customer's folder)."""

    id: str = Field(description="The report id.")
    name: str
    developer_name: str
    active: bool = Field(description="False once the report left the folder.")
    members: int = Field(description="Members counted when the list was last read in full.")
    last_synced_at: str | None


class CallListsOut(BaseModel):
    customer: str
    call_lists: list[CallListOut]
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "customer": "acme",
                "call_lists": [
                    {
                        "id": "00O000000000001AAA",
                        "name": "Q3 renewals",
                        "developer_name": "Q3_Renewals",
                        "active": True,
                        "members": 1250,
                        "last_synced_at": "2026-12-03T09:15:00Z",
                    }
                ],
            }
        }
    )


class ProspectOut(BaseModel):
    """A prospect: its CRM id and only the fields the customer's field map names."""

    crm_id: str
    model_config = ConfigDict(extra="allow", json_schema_extra={"example": _EXAMPLE_PROSPECT})


class RemovalOut(BaseModel):
    """In a change feed: the member left the call list, or was forgotten. Delete your copy."""

    crm_id: str
    removed: Literal[True] = Field(description="Always true: the member is no longer listed.")
    model_config = ConfigDict(json_schema_extra={"example": _EXAMPLE_REMOVAL})


class ProspectPage(BaseModel):
    """One page of a call list's members, or of its changes (`?since=`).

    In a change feed an item is either a member as it is now or, when the member left the list
    or was forgotten, a removal (`{"crm_id": ..., "removed": true}`); a member removed and added
    again comes as its latest state, once.
    """

    customer: str
    call_list: str
    items: list[ProspectOut | RemovalOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page of a full read "
        "and in a change feed."
    )
    since: str | None = Field(
        description="The change cursor: on the last page of a full read, and on every page of "
        "a change feed. Pass it as `since` to get what changed after this response."
    )
    more: bool = Field(description="True when another page follows at once.")
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "customer": "acme",
                "call_list": "00O000000000001AAA",
                "items": [_EXAMPLE_PROSPECT, _EXAMPLE_REMOVAL],
                "next_cursor": None,
                "since": "c1.eyJ0IjoiMjAyNi0xMi0wM1QwOToxNTowMCswMDowMCIsImlkIjoiIn0",
                "more": False,
            }
        }
    )


def mapped_fields(directory: Path, customer: str) -> tuple[str, ...]:
    """The store fields the customer's field map names, or a 503 problem without a map."""
    try:
        fm = load_field_map(customer, directory)
    except FieldMapError:
        raise Problem(503, "the customer's field map cannot be read; nothing is served") from None
    return tuple(fm.prospect.fields)


def prospect_json(
    prospect: Prospect, fields: tuple[str, ...], cipher: FieldCipher
) -> dict[str, Any]:
    """A prospect as the API shows it: the CRM id and the mapped fields only, decrypted."""
    opened = prospect_fields(cipher, prospect)
    return {"crm_id": prospect.crm_id, **{name: opened.get(name) for name in fields}}


def call_list_json(call_list: CallList) -> dict[str, Any]:
    """A call list as the API shows it (no personal data)."""
    return {
        "id": call_list.report_id,
        "name": call_list.name,
        "developer_name": call_list.developer_name,
        "active": call_list.active,
        "members": call_list.row_count,
        "last_synced_at": iso(call_list.last_synced_at),
    }


async def _known_customer(request: Request, customer: str) -> TenantStore:
    store = TenantStore(request.app.state.engine, customer)
    if await run_in_threadpool(store.get_customer) is None:
        raise Problem(404, "no such customer")
    return store


@router.get(
    "/api/customers/{customer}/call-lists",
    summary="The customer's call lists",
    response_model=CallListsOut,
)
async def list_call_lists(
    customer: str,
    request: Request,
    principal: Annotated[Principal, Depends(require("prospects:read"))],
) -> JSONResponse:
    """Every call list of the customer (a call-handler token bound to one list: that list)."""
    store = await _known_customer(request, customer)
    lists = await run_in_threadpool(store.call_lists)
    if principal.call_list is not None:
        lists = [c for c in lists if c.report_id == principal.call_list]
    return JSONResponse({"customer": customer, "call_lists": [call_list_json(c) for c in lists]})


@router.get(
    "/api/customers/{customer}/call-lists/{call_list}/prospects",
    summary="A call list's prospects, paged; or what changed since a change cursor",
    response_model=ProspectPage,
    responses={
        410: {
            "description": "The `since` cursor is older than the change log "
            "(`CONNECTOR_CHANGE_LOG_DAYS`): removals after it may be gone. Reread the list "
            "from the start (no `cursor`, no `since`)."
        }
    },
)
async def list_prospects(
    customer: str,
    call_list: str,
    request: Request,
    _principal: Annotated[Principal, Depends(require("prospects:read"))],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")] = 200,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the last page.")] = None,
    since: Annotated[
        str | None, Query(description="A change cursor (`since` of an earlier response).")
    ] = None,
) -> JSONResponse:
    """Members in CRM-id order, `limit` at a time, or (with `since`) those changed after it.

    A full read: call without `cursor`, then with each page's `next_cursor` until it is null;
    the last page's `since` is where to follow changes from (it dates from the start of the
    read, so nothing written meanwhile is missed; a member may come twice). Following: call
    with `since`, keep the response's `since` for the next call. Members that left the list
    or were forgotten come as `{"crm_id": ..., "removed": true}`, in the same order as the
    changes. Removals are kept for `CONNECTOR_CHANGE_LOG_DAYS` (default 30): a `since` older
    than that answers 410, and the list must be read again from the start. A cursor that
    stays idle is renewed (a later `since`) before it would grow that old.
    """
    if cursor is not None and since is not None:
        raise Problem(400, "give either cursor or since, not both")
    store = await _known_customer(request, customer)
    lists = {c.report_id: c for c in await run_in_threadpool(store.call_lists)}
    if call_list not in lists:
        raise Problem(404, "no such call list")
    settings: WebSettings = request.app.state.web_settings
    fields = await run_in_threadpool(mapped_fields, settings.field_maps_dir, customer)
    horizon = utcnow() - timedelta(seconds=settings.change_feed_lag)
    if since is not None:
        change_log: timedelta = request.app.state.change_log
        body = await _change_page(store, call_list, since, horizon, limit, fields, change_log)
    else:
        body = await _member_page(store, call_list, cursor, horizon, limit, fields)
    return JSONResponse({"customer": customer, "call_list": call_list, **body})


async def _member_page(
    store: TenantStore,
    call_list: str,
    cursor: str | None,
    horizon: datetime,
    limit: int,
    fields: tuple[str, ...],
) -> dict[str, Any]:
    try:
        position = decode_page(cursor) if cursor else PageCursor(None, horizon)
    except ValueError as exc:
        raise Problem(400, f"cursor: {exc}") from None
    rows = await run_in_threadpool(store.member_page, call_list, position.after, limit + 1)
    cipher = await run_in_threadpool(customer_cipher, store)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_page(PageCursor(rows[-1].crm_id, position.started)) if more else None
    start = encode_change(ChangePosition(position.started, "")) if not more else None
    return {
        "items": [prospect_json(p, fields, cipher) for p in rows],
        "next_cursor": next_cursor,
        "since": start,
        "more": more,
    }


async def _change_page(
    store: TenantStore,
    call_list: str,
    since: str,
    horizon: datetime,
    limit: int,
    fields: tuple[str, ...],
    change_log: timedelta,
) -> dict[str, Any]:
    try:
        position = decode_change(since)
    except ValueError as exc:
        raise Problem(400, f"since: {exc}") from None
    if position.at < utcnow() - change_log:
        raise Problem(
            410,
            f"this change cursor is older than the change log ({change_log.days} days), so "
            "removals after it may be gone: reread the list from the start (no cursor, no "
            "since) and follow changes from the new since",
        )
    changes = await run_in_threadpool(store.change_page, call_list, position, horizon, limit + 1)
    cipher = await run_in_threadpool(customer_cipher, store)
    more = len(changes) > limit
    changes = changes[:limit]
    if changes:
        position = changes[-1].position
    elif horizon - position.at > change_log / 2:
        # nothing changed up to the horizon: renew an idle cursor before it grows stale
        position = ChangePosition(horizon, "")
    return {
        "items": [change_json(c, fields, cipher) for c in changes],
        "next_cursor": None,
        "since": encode_change(position),
        "more": more,
    }


def change_json(change: Change, fields: tuple[str, ...], cipher: FieldCipher) -> dict[str, Any]:
    """A change feed item: the member as it is now, or its removal (CRM id only)."""
    if change.prospect is None:
        return {"crm_id": change.crm_id, "removed": True}
    return prospect_json(change.prospect, fields, cipher)


@router.get(
    "/api/customers/{customer}/prospects/{crm_id}",
    summary="One prospect by CRM id",
    response_model=ProspectOut,
    responses={404: {"description": "No such customer, or no such prospect in reach."}},
)
async def get_prospect(
    customer: str,
    crm_id: str,
    request: Request,
    principal: Annotated[Principal, Depends(require("prospects:read"))],
) -> JSONResponse:
    """The prospect's CRM id and mapped fields (for a call-handler token bound to a call list,
    only a member of that list)."""
    store = await _known_customer(request, customer)
    if not _CRM_ID.match(crm_id):
        raise Problem(404, "no such prospect")
    settings: WebSettings = request.app.state.web_settings
    fields = await run_in_threadpool(mapped_fields, settings.field_maps_dir, customer)
    prospect = await run_in_threadpool(store.find_prospect, crm_id, principal.call_list)
    if prospect is None:
        raise Problem(404, "no such prospect")
    cipher = await run_in_threadpool(customer_cipher, store)
    return JSONResponse(prospect_json(prospect, fields, cipher))
