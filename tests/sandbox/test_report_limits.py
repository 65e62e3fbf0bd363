"""Reports API limits: hourly and concurrent sync runs, the sync timeout, filter and column
caps, and asynchronous instances with their own budget and a 24-hour life."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import pytest
import requests
from sandbox_helpers import report_id

from connector.sandbox import SandboxOrg, SandboxServer
from connector.sandbox.errors import ApiError
from connector.sandbox.report_limits import ReportRunLimits

HOUR = 3600


def _url(rest: str, org: SandboxOrg) -> str:
    return f"{rest}/analytics/reports/{report_id(org, 'Renewals_Q3')}"


def _limit(api: requests.Session, rest: str, name: str) -> dict[str, int]:
    limits: dict[str, dict[str, int]] = api.get(f"{rest}/limits").json()
    return limits[name]


def test_given_the_hour_is_spent_when_a_sync_run_is_asked_then_403_until_the_hour_rolls(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    sandbox_org.report_limits.charge_sync(499)  # the customer's people ran 499 reports
    assert _limit(api, rest, "HourlySyncReportRuns") == {"Max": 500, "Remaining": 1}
    assert api.get(_url(rest, sandbox_org)).status_code == 200
    refused = api.get(_url(rest, sandbox_org))
    assert refused.status_code == 403
    [error] = refused.json()
    assert error["errorCode"] == "FORBIDDEN" and "500 synchronous report runs" in error["message"]
    assert _limit(api, rest, "HourlySyncReportRuns")["Remaining"] == 0
    sandbox_org.report_limits.advance(HOUR)
    assert api.get(_url(rest, sandbox_org)).status_code == 200
    assert _limit(api, rest, "HourlySyncReportRuns")["Remaining"] == 499


def test_describe_and_list_do_not_count_as_runs(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    api.get(f"{_url(rest, sandbox_org)}/describe")
    api.get(f"{rest}/analytics/reports")
    assert _limit(api, rest, "HourlySyncReportRuns")["Remaining"] == 500


def test_at_most_20_sync_runs_at_a_time() -> None:
    limits = ReportRunLimits()
    with ExitStack() as running:
        for _ in range(20):
            running.enter_context(limits.sync_run())
        assert limits.remaining_concurrent() == 0
        with pytest.raises(ApiError) as refused, limits.sync_run():
            pass
        assert refused.value.status == 403 and "20 concurrent" in refused.value.message
    assert limits.remaining_concurrent() == 20
    with limits.sync_run():
        assert limits.remaining_sync() == 500 - 21


def test_a_sync_run_over_the_timeout_fails_with_500(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    sandbox_org.report_limits.sync_timeout_scale = 0.0  # every run is "over two minutes"
    response = api.get(_url(rest, sandbox_org))
    assert response.status_code == 500
    assert response.json()[0]["errorCode"] == "REPORT_TIMEOUT"


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (
            {"reportFilters": [{"column": "EMAIL", "operator": "contains", "value": "@"}] * 21},
            "at most 20 custom filters",
        ),
        ({"detailColumns": ["EMAIL"] * 101}, "at most 100 columns"),
    ],
)
def test_more_than_20_filters_or_100_columns_are_refused(
    api: requests.Session,
    rest: str,
    sandbox_org: SandboxOrg,
    metadata: dict[str, Any],
    message: str,
) -> None:
    response = api.post(_url(rest, sandbox_org), json={"reportMetadata": metadata})
    assert response.status_code == 400
    [error] = response.json()
    assert error["errorCode"] == "BAD_REQUEST" and message in error["message"]
    twenty = {"reportFilters": [{"column": "EMAIL", "operator": "contains", "value": "@"}] * 20}
    assert api.post(_url(rest, sandbox_org), json={"reportMetadata": twenty}).ok


def test_an_async_instance_is_created_listed_polled_and_gives_the_results(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    url = _url(rest, sandbox_org)
    created = api.post(f"{url}/instances", params={"includeDetails": "true"})
    assert created.status_code == 200
    instance = created.json()
    assert instance["id"].startswith("0LG") and instance["status"] == "New"
    assert instance["url"].endswith(f"/instances/{instance['id']}")
    assert instance["ownerId"] == sandbox_org.integration_user_id
    assert [i["id"] for i in api.get(f"{url}/instances").json()] == [instance["id"]]
    statuses = []
    for _ in range(3):
        polled = api.get(f"{rest}{instance['url'].split('/v59.0', 1)[1]}").json()
        statuses.append(polled["attributes"]["status"])
    assert statuses == ["Running", "Success", "Success"]
    assert polled["attributes"]["id"] == instance["id"] and polled["attributes"]["completionDate"]
    sync = api.get(url, params={"includeDetails": "true"}).json()
    assert polled["factMap"] == sync["factMap"] and polled["allData"] == sync["allData"]
    assert _limit(api, rest, "HourlyAsyncReportRuns") == {"Max": 1200, "Remaining": 1199}
    assert _limit(api, rest, "HourlySyncReportRuns")["Remaining"] == 499  # only the sync run


def test_async_instances_expire_after_24_hours(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    url = _url(rest, sandbox_org)
    instance = api.post(f"{url}/instances").json()
    sandbox_org.report_limits.advance(24 * HOUR + 1)
    assert api.get(f"{url}/instances").json() == []
    gone = api.get(f"{url}/instances/{instance['id']}")
    assert gone.status_code == 404 and gone.json()[0]["errorCode"] == "NOT_FOUND"


def test_async_run_requests_have_their_own_hourly_budget(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    sandbox_org.report_limits.hourly_async_max = 1
    url = _url(rest, sandbox_org)
    assert api.post(f"{url}/instances").ok
    refused = api.post(f"{url}/instances")
    assert refused.status_code == 403
    assert "1 asynchronous report runs" in refused.json()[0]["message"]
    assert api.get(url).ok  # the sync budget is untouched


def test_an_async_instance_with_a_bad_definition_is_refused_at_once(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    url = _url(rest, sandbox_org)
    bad = api.post(f"{url}/instances", json={"reportMetadata": {"detailColumns": ["NOPE"]}})
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "BAD_REQUEST"
    assert api.get(f"{url}/instances/0LG000000000000AAA").status_code == 404


def test_the_admin_api_sets_the_report_run_limits_and_moves_their_clock(
    http: requests.Session, sandbox_server: SandboxServer, sandbox_org: SandboxOrg
) -> None:
    sandbox_org.report_limits.charge_sync(10)
    settings = {"hourly_sync_report_runs": 5000, "hourly_async_report_runs": 7}
    state = http.patch(f"{sandbox_server.base_url}/__sandbox/settings", json=settings).json()
    assert state["hourly_sync_report_runs"] == {"max": 5000, "remaining": 4990}
    assert state["hourly_async_report_runs"] == {"max": 7, "remaining": 7}
    moved = {"advance_clock_seconds": HOUR, "sync_timeout_scale": 0.5}
    state = http.patch(f"{sandbox_server.base_url}/__sandbox/settings", json=moved).json()
    assert state["hourly_sync_report_runs"]["remaining"] == 5000
    assert sandbox_org.report_limits.sync_timeout == 60.0
