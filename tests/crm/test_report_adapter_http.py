"""The report adapter against the documented response shapes (tests/crm/fixtures), at HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers
from responses.registries import OrderedRegistry

from connector.crm.base import ReportRef, ReportShape
from connector.crm.salesforce.adapter import SalesforceAdapter
from connector.crm.salesforce.session import SalesforceSession
from connector.errors import AuthError, CrmRateLimited, CrmRejected

FIXTURES = Path(__file__).parent / "fixtures"
INSTANCE = "https://acme.my.salesforce.com"
API = f"{INSTANCE}/services/data/v59.0"
REPORT = ReportRef("00O5g00000AbCdEEAV", "Call list: enterprise", "Call_List_Enterprise", "00l")
REPORT_URL = f"{API}/analytics/reports/{REPORT.id}"
COLUMNS = ["FIRST_NAME", "LAST_NAME", "EMAIL"]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def limits(sync_remaining: int = 500, async_remaining: int = 1200) -> dict[str, Any]:
    body: dict[str, Any] = fixture("limits")
    body["HourlySyncReportRuns"]["Remaining"] = sync_remaining
    body["HourlyAsyncReportRuns"]["Remaining"] = async_remaining
    return body


class FixedTokens:
    instance_url = INSTANCE

    def access_token(self) -> str:
        return "token-1"

    def refresh(self, rejected: str) -> str:
        raise AuthError("refresh is not part of these tests")


def adapter(polls: list[float] | None = None) -> SalesforceAdapter:
    session = SalesforceSession(FixedTokens(), customer="acme", sleep=lambda _s: None)
    return SalesforceAdapter(session, poll_sleep=(polls if polls is not None else []).append)


def pages(crm: SalesforceAdapter) -> list[Any]:
    return list(crm.iter_report_pages(REPORT, "CONTACT_ID", COLUMNS, prefetch=False))


EXPECTED_ROWS = [
    {"CONTACT_ID": "0035g00000AAAAAAA1", "FIRST_NAME": "Ada", "LAST_NAME": "Lovelace",
     "EMAIL": "ada@example.com"},
    {"CONTACT_ID": "0035g00000AAAAAAA2", "FIRST_NAME": "Alan", "LAST_NAME": "Turing",
     "EMAIL": None},
]  # fmt: skip
PAGE_BODY = {
    "reportMetadata": {
        "reportFormat": "TABULAR",
        "detailColumns": ["CONTACT_ID", *COLUMNS],
        "reportFilters": [
            {
                "column": "ACCOUNT.NAME",
                "operator": "notEqual",
                "value": "",
                "isRunPageEditable": True,
            }
        ],
        "sortBy": [{"sortColumn": "CONTACT_ID", "sortOrder": "Asc"}],
    }
}


@responses.activate(registry=OrderedRegistry)
def test_given_a_fresh_hour_when_paging_then_one_sync_run_gives_the_documented_rows() -> None:
    responses.get(f"{REPORT_URL}/describe", json=fixture("report_describe"))
    responses.get(f"{API}/limits/", json=limits())
    responses.post(
        REPORT_URL,
        json=fixture("report_run_tabular"),
        match=[
            matchers.query_param_matcher({"includeDetails": "true"}),
            matchers.json_params_matcher(PAGE_BODY),
        ],
    )
    [page] = pages(adapter())
    assert page.rows == EXPECTED_ROWS
    assert page.done and page.cursor == "0035g00000AAAAAAA2" and page.total == 2


@responses.activate(registry=OrderedRegistry)
def test_given_a_short_sync_budget_when_paging_then_an_async_instance_is_polled_for_rows() -> None:
    polls: list[float] = []
    responses.get(f"{REPORT_URL}/describe", json=fixture("report_describe"))
    responses.get(f"{API}/limits/", json=limits(sync_remaining=240))
    instance = fixture("report_instance")
    responses.post(
        f"{REPORT_URL}/instances",
        json=instance,
        match=[
            matchers.query_param_matcher({"includeDetails": "true"}),
            matchers.json_params_matcher(PAGE_BODY),
        ],
    )
    result_url = f"{REPORT_URL}/instances/{instance['id']}"
    responses.get(result_url, json=fixture("report_instance_running"))
    responses.get(result_url, json=fixture("report_instance_running"))
    responses.get(result_url, json=fixture("report_instance_result"))
    [page] = pages(adapter(polls))
    assert page.rows == EXPECTED_ROWS and page.done
    assert polls == [0.2, 0.5]


@responses.activate(registry=OrderedRegistry)
def test_given_both_budgets_spent_when_paging_then_the_run_stops_without_a_report_run() -> None:
    responses.get(f"{REPORT_URL}/describe", json=fixture("report_describe"))
    responses.get(f"{API}/limits/", json=limits(sync_remaining=250, async_remaining=600))
    responses.get(f"{API}/limits/", json=limits(sync_remaining=250, async_remaining=600))
    with pytest.raises(CrmRateLimited) as stopped:
        pages(adapter())
    assert stopped.value.code == "REPORT_RUN_BUDGET"
    assert "250/500 synchronous" in str(stopped.value)


@responses.activate(registry=OrderedRegistry)
def test_given_an_instance_in_error_when_polling_then_the_report_is_rejected() -> None:
    responses.get(f"{REPORT_URL}/describe", json=fixture("report_describe"))
    responses.get(f"{API}/limits/", json=limits(sync_remaining=0))
    instance = fixture("report_instance")
    responses.post(f"{REPORT_URL}/instances", json=instance)
    failed = fixture("report_instance_running")
    failed["attributes"]["status"] = "Error"
    responses.get(f"{REPORT_URL}/instances/{instance['id']}", json=failed)
    with pytest.raises(CrmRejected) as rejected:
        pages(adapter())
    assert rejected.value.code == "REPORT_INSTANCE_ERROR"


@responses.activate(registry=OrderedRegistry)
def test_given_a_summary_run_then_rows_come_from_every_grouping_in_id_order() -> None:
    describe = fixture("report_describe")
    describe["reportMetadata"]["reportFormat"] = "SUMMARY"
    responses.get(f"{REPORT_URL}/describe", json=describe)
    responses.get(f"{API}/limits/", json=limits())
    responses.post(REPORT_URL, json=fixture("report_run_summary"))
    [page] = list(adapter().iter_report_pages(REPORT, "CONTACT_ID", ["LAST_NAME"], prefetch=False))
    assert [r["CONTACT_ID"] for r in page.rows] == [
        "0035g00000AAAAAAA1",
        "0035g00000AAAAAAA2",
        "0035g00000AAAAAAA3",
    ]
    assert [r["LAST_NAME"] for r in page.rows] == ["Lovelace", "Turing", "Hopper"]


@responses.activate(registry=OrderedRegistry)
def test_given_a_report_level_error_then_the_page_is_rejected_with_the_orgs_code() -> None:
    responses.get(f"{REPORT_URL}/describe", json=fixture("report_describe"))
    responses.get(f"{API}/limits/", json=limits())
    responses.post(REPORT_URL, json=fixture("error_bad_request"), status=400)
    with pytest.raises(CrmRejected) as rejected:
        pages(adapter())
    assert rejected.value.code == "BAD_REQUEST"


@responses.activate(registry=OrderedRegistry)
def test_given_an_answer_of_the_wrong_shape_then_the_page_is_rejected_naming_the_report() -> None:
    responses.get(f"{REPORT_URL}/describe", json=fixture("report_describe"))
    responses.get(f"{API}/limits/", json=limits())
    malformed = fixture("report_run_tabular")
    malformed["factMap"]["T!T"]["rows"] = "not a list of rows"
    responses.post(REPORT_URL, json=malformed)
    with pytest.raises(CrmRejected) as rejected:
        pages(adapter())
    assert rejected.value.code == "MALFORMED_ANSWER"
    assert rejected.value.report == "Call_List_Enterprise"
    assert rejected.value.customer == "acme"
    assert "$.factMap" in str(rejected.value)


@responses.activate(registry=OrderedRegistry)
def test_given_an_answer_that_is_not_json_then_it_is_retried_as_passing_trouble() -> None:
    responses.get(f"{REPORT_URL}/describe", json=fixture("report_describe"))
    responses.get(f"{API}/limits/", json=limits())
    responses.post(REPORT_URL, body=b'{"factMap": {"T!T": {"rows": [')  # cut off
    responses.post(REPORT_URL, json=fixture("report_run_tabular"))
    [page] = pages(adapter())
    assert page.rows == EXPECTED_ROWS


@responses.activate(registry=OrderedRegistry)
def test_the_report_shape_is_read_from_the_documented_describe() -> None:
    responses.get(f"{REPORT_URL}/describe", json=fixture("report_describe"))
    crm = adapter()
    assert crm.describe_report_shape(REPORT) == ReportShape("tabular", 1, None)
    assert crm.describe_report_columns(REPORT)["EMAIL"] == "email"


@responses.activate(registry=OrderedRegistry)
def test_a_matrix_report_is_refused_before_any_run() -> None:
    describe = fixture("report_describe")
    describe["reportMetadata"]["reportFormat"] = "MATRIX"
    responses.get(f"{REPORT_URL}/describe", json=describe)
    with pytest.raises(CrmRejected) as rejected:
        pages(adapter())
    assert rejected.value.code == "REPORT_NOT_PAGEABLE"
