"""Reports and Dashboards REST API routes: report list, describe, and synchronous runs."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from connector.sandbox import report_runner
from connector.sandbox.errors import ApiError
from connector.sandbox.ids import is_valid_id, to_18
from connector.sandbox.oauth import org_of
from connector.sandbox.org import SandboxOrg
from connector.sandbox.reports import Report

router = APIRouter()
BASE = "/services/data/{version}/analytics/reports"


def _report(org: SandboxOrg, report_id: str) -> Report:
    report = org.reports.get(to_18(report_id)) if is_valid_id(report_id) else None
    if report is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return report


def _include_details(request: Request, default: bool) -> bool:
    value = request.query_params.get("includeDetails")
    return default if value is None else value.lower() == "true"


@router.get("/services/data/{version}/analytics")
async def analytics_resources(version: str) -> Response:
    """The Analytics resources the sandbox serves (reports only)."""
    return JSONResponse({"reports": f"/services/data/{version}/analytics/reports"})


@router.get(BASE)
async def report_list(request: Request, version: str) -> Response:
    org = org_of(request)
    items = []
    for report in sorted(org.reports.values(), key=lambda r: r.id):
        url = f"/services/data/{version}/analytics/reports/{report.id}"
        items.append(
            {
                "name": report.name,
                "id": report.id,
                "url": url,
                "describeUrl": f"{url}/describe",
                "instancesUrl": f"{url}/instances",
            }
        )
    return JSONResponse(items)


@router.get(BASE + "/{report_id}/describe")
async def describe(request: Request, version: str, report_id: str) -> Response:
    report = _report(org_of(request), report_id)
    return JSONResponse(report_runner.describe(report))


@router.get(BASE + "/{report_id}")
async def run_saved(request: Request, version: str, report_id: str) -> Response:
    org = org_of(request)
    report = _report(org, report_id)
    include = _include_details(request, default=False)
    return JSONResponse(report_runner.run(org, report, None, include, version))


@router.post(BASE + "/{report_id}")
async def run_with_overrides(request: Request, version: str, report_id: str) -> Response:
    org = org_of(request)
    report = _report(org, report_id)
    overrides = _metadata(await request.body())
    include = _include_details(request, default=True)
    return JSONResponse(report_runner.run(org, report, overrides, include, version))


def _metadata(body: bytes) -> dict[str, Any] | None:
    if not body.strip():
        return None
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body is not valid JSON.") from exc
    metadata = parsed.get("reportMetadata") if isinstance(parsed, dict) else None
    if metadata is not None and not isinstance(metadata, dict):
        raise ApiError(400, "BAD_REQUEST", "reportMetadata must be an object.")
    return metadata
