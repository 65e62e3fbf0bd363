"""REST data endpoints: versions, resources, describe, limits, query/queryAll and record reads."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from connector.sandbox import query_engine
from connector.sandbox.describe import global_describe, object_describe
from connector.sandbox.errors import ApiError, not_found
from connector.sandbox.ids import is_valid_id, to_18
from connector.sandbox.oauth import org_of
from connector.sandbox.org import QueryCursor, SandboxOrg
from connector.sandbox.report_limits import CONCURRENT_ASYNC_RESULTS
from connector.sandbox.schema import find_object, object_for_id
from connector.sandbox.tokens import AccessToken

API_VERSIONS = [f"{major}.0" for major in range(52, 67)]
DEFAULT_BATCH = 2000
MIN_BATCH = 200
_RELEASES = {52: "Summer '21", 53: "Winter '22", 54: "Spring '22", 55: "Summer '22",
             56: "Winter '23", 57: "Spring '23", 58: "Summer '23", 59: "Winter '24",
             60: "Spring '24", 61: "Summer '24", 62: "Winter '25", 63: "Spring '25",
             64: "Summer '25", 65: "Winter '26", 66: "Spring '26"}  # fmt: skip

router = APIRouter()
V = "/services/data/{version}"


@router.get("/services/data")
async def versions() -> Response:
    return JSONResponse(
        [
            {"label": _RELEASES[int(v.split(".")[0])], "url": f"/services/data/v{v}", "version": v}
            for v in API_VERSIONS
        ]
    )


SERVED_RESOURCES = ("sobjects", "query", "queryAll", "limits", "analytics")


@router.get(V)
async def resources(request: Request, version: str) -> Response:
    """The resources of one version: only those the sandbox serves, plus the caller's identity.

    Real orgs name the identity URL of the session's user here; clients holding only an
    instance URL and a token (jsforce's ``identity()``) find their user through it.
    """
    org = org_of(request)
    session: AccessToken = request.state.session
    base = f"/services/data/{version}"
    body = {name: f"{base}/{name}" for name in SERVED_RESOURCES}
    body["identity"] = f"{org.base_url or ''}/id/{org.organization_id}/{session.user_id}"
    return JSONResponse(body)


@router.get(V + "/sobjects")
async def sobjects(version: str) -> Response:
    return JSONResponse(global_describe(version))


@router.get(V + "/sobjects/{sobject}/describe")
async def describe(version: str, sobject: str) -> Response:
    spec = find_object(sobject)
    if spec is None:
        raise not_found()
    return JSONResponse(object_describe(spec, version))


@router.get(V + "/sobjects/{sobject}")
async def sobject_basic_info(version: str, sobject: str) -> Response:
    spec = find_object(sobject)
    if spec is None:
        raise not_found()
    described = object_describe(spec, version)
    described.pop("fields")
    return JSONResponse({"objectDescribe": described, "recentItems": []})


@router.get(V + "/sobjects/{sobject}/{record_id}")
async def record(request: Request, version: str, sobject: str, record_id: str) -> Response:
    spec = find_object(sobject)
    if spec is None:
        raise not_found()
    row = (
        query_engine.row_by_id(org_of(request), to_18(record_id))
        if is_valid_id(record_id)
        else None
    )
    if row is None or row.get("IsDeleted") or object_for_id(row["Id"]) is not spec:
        raise not_found()
    wanted = request.query_params.get("fields")
    names = [n.strip() for n in wanted.split(",")] if wanted else [f.name for f in spec.fields]
    paths = tuple(query_engine.resolve(spec, name) for name in names)
    return JSONResponse(query_engine.project(org_of(request), row, spec.name, paths, version))


@router.get(V + "/limits")
async def limits(request: Request) -> Response:
    org = org_of(request)
    remaining = max(0, org.api_daily_max - org.api_usage)
    static = {
        "DailyBulkApiBatches": 15000,
        "DailyBulkV2QueryJobs": 10000,
        "DailyBulkV2QueryFileStorageMB": 976562,
        "ConcurrentAsyncGetReportInstances": CONCURRENT_ASYNC_RESULTS,
        "DataStorageMB": 5,
        "FileStorageMB": 20,
        "SingleEmail": 15,
    }
    body: dict[str, Any] = {"DailyApiRequests": {"Max": org.api_daily_max, "Remaining": remaining}}
    body.update({name: {"Max": value, "Remaining": value} for name, value in static.items()})
    runs = org.report_limits
    body["HourlySyncReportRuns"] = {"Max": runs.hourly_sync_max, "Remaining": runs.remaining_sync()}
    body["HourlyAsyncReportRuns"] = {
        "Max": runs.hourly_async_max,
        "Remaining": runs.remaining_async(),
    }
    body["ConcurrentSyncReportRuns"] = {
        "Max": runs.concurrent_sync_max,
        "Remaining": runs.remaining_concurrent(),
    }
    return JSONResponse(body)


# -- query ------------------------------------------------------------------------------------
def batch_size(request: Request) -> int:
    """``Sforce-Query-Options: batchSize=N`` clamped to 200..2000 (default 2000)."""
    header = request.headers.get("sforce-query-options", "")
    match = re.search(r"batchSize\s*=\s*(\d+)", header)
    if match is None:
        return DEFAULT_BATCH
    return max(MIN_BATCH, min(DEFAULT_BATCH, int(match.group(1))))


def _page(org: SandboxOrg, cursor: QueryCursor, offset: int, version: str) -> dict[str, Any]:
    spec = find_object(cursor.sobject)
    assert spec is not None
    chunk = cursor.record_ids[offset : offset + cursor.batch_size]
    records = []
    paths = tuple(query_engine.resolve(spec, name) for name in cursor.fields)
    for record_id in chunk:
        row = query_engine.row_by_id(org, record_id)
        if row is not None:
            records.append(query_engine.project(org, row, spec.name, paths, version))
    end = offset + len(chunk)
    body: dict[str, Any] = {
        "totalSize": len(cursor.record_ids),
        "done": end >= len(cursor.record_ids),
    }
    if not body["done"]:
        body["nextRecordsUrl"] = f"/services/data/{version}/query/{cursor.locator}-{end}"
    body["records"] = records
    return body


def _run_query(request: Request, version: str, include_deleted: bool) -> Response:
    text = request.query_params.get("q")
    if not text:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    org = org_of(request)
    result = query_engine.run(org, text, include_deleted)
    if result.count_only:
        return JSONResponse({"totalSize": len(result.record_ids), "done": True, "records": []})
    cursor = QueryCursor(
        locator=org.next_id("QueryLocator"),
        sobject=result.spec.name,
        record_ids=result.record_ids,
        fields=tuple(path.text for path in result.paths),
        include_deleted=include_deleted,
        batch_size=batch_size(request),
    )
    if len(cursor.record_ids) > cursor.batch_size:
        org.open_cursor(cursor)
    return JSONResponse(_page(org, cursor, 0, version))


def _more(request: Request, version: str, locator: str) -> Response:
    org = org_of(request)
    name, _, offset = locator.rpartition("-")
    cursor = org.cursor(name) if offset.isdigit() else None
    if cursor is None or int(offset) > len(cursor.record_ids):
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return JSONResponse(_page(org, cursor, int(offset), version))


@router.get(V + "/query")
async def query(request: Request, version: str) -> Response:
    return _run_query(request, version, include_deleted=False)


@router.get(V + "/queryAll")
async def query_all(request: Request, version: str) -> Response:
    return _run_query(request, version, include_deleted=True)


@router.get(V + "/query/{locator}")
async def query_more(request: Request, version: str, locator: str) -> Response:
    return _more(request, version, locator)


@router.get(V + "/queryAll/{locator}")
async def query_all_more(request: Request, version: str, locator: str) -> Response:
    return _more(request, version, locator)
