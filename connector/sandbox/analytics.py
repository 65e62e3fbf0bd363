"""Reports and Dashboards REST API routes: report list, describe, sync runs, async instances.

Every sync run passes the org's hourly and concurrency limits and its timeout; async run
requests have their own hourly budget and their results expire after 24 hours
(`connector.sandbox.report_limits`).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from connector.sandbox import report_limits, report_runner
from connector.sandbox.errors import ApiError
from connector.sandbox.ids import is_valid_id, to_18
from connector.sandbox.oauth import org_of
from connector.sandbox.org import SandboxOrg
from connector.sandbox.reports import Report, ReportInstance
from connector.sandbox.tokens import AccessToken

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


def _run_sync(
    org: SandboxOrg,
    report: Report,
    overrides: dict[str, Any] | None,
    include: bool,
    version: str,
    dropped: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    limits = org.report_limits
    with limits.sync_run():
        started = time.monotonic()
        result = report_runner.run(org, report, overrides, include, version, dropped)
        if time.monotonic() - started >= limits.sync_timeout:
            raise report_limits.sync_timeout()
    return result


@router.get(BASE + "/{report_id}")
async def run_saved(request: Request, version: str, report_id: str) -> Response:
    org = org_of(request)
    report = _report(org, report_id)
    include = _include_details(request, default=False)
    dropped = _dropped(request)
    return JSONResponse(_run_sync(org, report, None, include, version, dropped))


@router.post(BASE + "/{report_id}")
async def run_with_overrides(request: Request, version: str, report_id: str) -> Response:
    org = org_of(request)
    report = _report(org, report_id)
    overrides = _metadata(await request.body())
    include = _include_details(request, default=True)
    dropped = _dropped(request)
    return JSONResponse(_run_sync(org, report, overrides, include, version, dropped))


def _dropped(request: Request) -> frozenset[str]:
    """Columns a `drop_column` fault rule removes from this run's answer."""
    return org_of(request).fault_injector.dropped_columns(request.method, request.url.path)


# -- asynchronous instances ---------------------------------------------------------------------
def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _instance_json(instance: ReportInstance, version: str) -> dict[str, Any]:
    base = f"/services/data/{version}/analytics/reports/{instance.report_id}"
    return {
        "id": instance.id,
        "requestDate": _iso(instance.requested_at),
        "completionDate": _iso(instance.completed_at),
        "status": instance.status,
        "ownerId": instance.owner_id,
        "hasDetailRows": instance.include_details,
        "url": f"{base}/instances/{instance.id}",
        "queryable": instance.status == "Success",
    }


def _live_instances(org: SandboxOrg, report: Report) -> list[ReportInstance]:
    """The report's instances younger than 24 hours; older ones are dropped for good."""
    horizon = org.report_limits.now() - report_limits.INSTANCE_LIFETIME
    with org.lock:
        for key in [k for k, i in org.report_instances.items() if i.requested_at <= horizon]:
            del org.report_instances[key]
        found = [i for i in org.report_instances.values() if i.report_id == report.id]
    return sorted(found, key=lambda i: (i.requested_at, i.id), reverse=True)


@router.post(BASE + "/{report_id}/instances")
async def create_instance(request: Request, version: str, report_id: str) -> Response:
    org = org_of(request)
    report = _report(org, report_id)
    overrides = _metadata(await request.body())
    report_runner.run_spec(report, overrides)  # a bad definition fails now, not when polled
    org.report_limits.admit_async()
    session: AccessToken = request.state.session
    instance = ReportInstance(
        id=org.next_id("ReportInstance"),
        report_id=report.id,
        owner_id=session.user_id,
        overrides=overrides,
        include_details=_include_details(request, default=False),
        requested_at=org.report_limits.now(),
    )
    with org.lock:
        org.report_instances[instance.id] = instance
    return JSONResponse(_instance_json(instance, version))


@router.get(BASE + "/{report_id}/instances")
async def list_instances(request: Request, version: str, report_id: str) -> Response:
    org = org_of(request)
    report = _report(org, report_id)
    return JSONResponse([_instance_json(i, version) for i in _live_instances(org, report)])


@router.get(BASE + "/{report_id}/instances/{instance_id}")
async def instance_results(
    request: Request, version: str, report_id: str, instance_id: str
) -> Response:
    """Poll an instance: the first poll runs it ("Running"), the next ones give the results."""
    org = org_of(request)
    report = _report(org, report_id)
    instance = next((i for i in _live_instances(org, report) if i.id == instance_id), None)
    if instance is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    if instance.status == "New":
        result = report_runner.run(
            org, report, instance.overrides, instance.include_details, version
        )
        instance.result, instance.status = result, "Running"
    elif instance.status == "Running":
        instance.status, instance.completed_at = "Success", org.report_limits.now()
    body = dict(instance.result or {})
    body["attributes"] = {
        **report_runner.attributes(report, version),
        "id": instance.id,
        "status": instance.status,
        "requestDate": _iso(instance.requested_at),
        "completionDate": _iso(instance.completed_at),
        "ownerId": instance.owner_id,
    }
    if instance.status != "Success":
        body.pop("factMap", None)
    return JSONResponse(body)


@router.delete(BASE + "/{report_id}/instances/{instance_id}")
async def delete_instance(
    request: Request, version: str, report_id: str, instance_id: str
) -> Response:
    org = org_of(request)
    report = _report(org, report_id)
    if not any(i.id == instance_id for i in _live_instances(org, report)):
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    with org.lock:
        org.report_instances.pop(instance_id, None)
    return Response(status_code=204)


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
