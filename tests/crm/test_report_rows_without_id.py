"""Report rows whose id cell is blank: rejected one by one, never the whole report.

The CRM is mocked at the HTTP boundary (`responses`, every mock used, in order); the pull
writes into real SQLite and PostgreSQL stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses
from responses.registries import OrderedRegistry
from sqlalchemy.engine import Engine

from connector.crm.base import ReportRef
from connector.crm.salesforce.adapter import SalesforceAdapter
from connector.crm.salesforce.session import SalesforceSession
from connector.crm.salesforce.tokens import StaticTokenSource
from connector.errors import CrmRejected
from connector.fieldmap import parse_field_map_text
from connector.store import TenantStore
from connector.sync.pull import pull
from tests.helpers.key_ring import key_ring  # noqa: F401  (autouse: the pull encrypts)

INSTANCE = "https://acme.my.salesforce.com"
API = f"{INSTANCE}/services/data/v59.0"
FOLDER_ID = "00l5g000000AbCdEAA"
REPORT_ID = "00O5g000000AbCdEAA"
COLUMNS = ["CONTACT_ID", "LAST_NAME", "EMAIL"]
FIELD_MAP = """\
customer: acme
crm: {kind: salesforce, login_url: https://login.salesforce.com, auth: jwt, username: u@acme.com}
source: {report_folder: Campaign_Lists}
prospect:
  id: CONTACT_ID
  fields:
    last_name: {column: LAST_NAME, required: true}
    email: {column: EMAIL, transform: email}
activities: {object: Task, external_id_field: Connector_Activity_Id__c}
schedule: {every: 15m}
"""


#: The org's hourly report-run counters, with the whole hour still free.
LIMITS = {
    "HourlySyncReportRuns": {"Max": 500, "Remaining": 500},
    "HourlyAsyncReportRuns": {"Max": 1200, "Remaining": 1200},
}


def contact_id(n: int) -> str:
    return f"0035g{n:010d}AAA"


def row(record_id: str | None, n: int) -> dict[str, Any]:
    cells = [record_id, f"Person {n}", f"person{n}@example.com"]
    return {"dataCells": [{"label": v or "-", "value": v} for v in cells]}


def run_answer(rows: list[dict[str, Any]], all_data: bool = True) -> dict[str, Any]:
    return {
        "allData": all_data,
        "reportMetadata": {"detailColumns": COLUMNS},
        "factMap": {"T!T": {"rows": rows, "aggregates": [{"value": len(rows)}]}},
    }


def mock_folder_and_report() -> None:
    folder = {"Id": FOLDER_ID, "DeveloperName": "Campaign_Lists"}
    report = {"Id": REPORT_ID, "Name": "Campaign", "DeveloperName": "Campaign_Members"}
    for record in (folder, report):
        responses.get(f"{API}/query/", json={"totalSize": 1, "done": True, "records": [record]})
    info = {"CONTACT_ID": "id", "LAST_NAME": "string", "EMAIL": "email"}
    describe = {
        "reportMetadata": {"detailColumns": COLUMNS, "reportFilters": []},
        "reportExtendedMetadata": {
            "detailColumnInfo": {name: {"dataType": kind} for name, kind in info.items()}
        },
    }
    responses.get(f"{API}/analytics/reports/{REPORT_ID}/describe", json=describe)


def adapter() -> SalesforceAdapter:
    tokens = StaticTokenSource(INSTANCE, "00D!static-token")
    return SalesforceAdapter(SalesforceSession(tokens, customer="acme", sleep=lambda _: None))


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    yield request.getfixturevalue(f"{request.param}_engine")


@responses.activate(registry=OrderedRegistry)
def test_given_three_rows_without_id_then_they_are_rejected_and_the_rest_stored(
    engine: Engine,
) -> None:
    blanks = [row(None, n) for n in range(3)]  # the CRM sorts empty ids first
    rows = blanks + [row(contact_id(n), n) for n in range(3, 300)]
    mock_folder_and_report()
    responses.get(f"{API}/limits/", json=LIMITS)
    responses.post(f"{API}/analytics/reports/{REPORT_ID}", json=run_answer(rows))
    fm = parse_field_map_text(FIELD_MAP, "acme.yaml", env={})
    store = TenantStore(engine, "acme")

    run = pull(fm, store, adapter())

    assert run.status == "succeeded"
    assert (run.rows_read, run.prospects_written, run.rejected) == (300, 297, 3)
    assert len(store.prospect_ids_in(REPORT_ID)) == 297
    rejected = store.rejected_rows(run.run_id)
    assert len(rejected) == 3
    for item in rejected:
        assert item.reason == "column 'CONTACT_ID' (prospect.id) holds no CRM record id"
        assert "Person" not in item.crm_id + item.reason and "@" not in item.crm_id


@responses.activate(registry=OrderedRegistry)
def test_given_blank_ids_on_a_full_page_then_paging_resumes_after_the_last_id() -> None:
    first = [row(None, 0)] + [row(contact_id(n), n) for n in range(1, 4)]
    responses.get(f"{API}/analytics/reports/{REPORT_ID}/describe", json={"reportMetadata": {}})
    responses.get(f"{API}/limits/", json=LIMITS)
    responses.post(f"{API}/analytics/reports/{REPORT_ID}", json=run_answer(first, False))
    last = responses.post(
        f"{API}/analytics/reports/{REPORT_ID}", json=run_answer([row(contact_id(4), 4)])
    )
    report = ReportRef(REPORT_ID, "Campaign", "Campaign_Members", FOLDER_ID)

    pages = list(adapter().iter_report_pages(report, "CONTACT_ID", COLUMNS, prefetch=False))

    assert [len(p.rows) for p in pages] == [4, 1]
    assert pages[0].cursor == contact_id(3) and pages[1].done
    body = last.calls[0].request.body
    assert contact_id(3).encode() in (body if isinstance(body, bytes) else body.encode())


@responses.activate(registry=OrderedRegistry)
def test_given_a_full_page_with_no_id_at_all_then_paging_stops_as_paging_order() -> None:
    responses.get(f"{API}/analytics/reports/{REPORT_ID}/describe", json={"reportMetadata": {}})
    responses.get(f"{API}/limits/", json=LIMITS)
    responses.post(
        f"{API}/analytics/reports/{REPORT_ID}", json=run_answer([row(None, 0)] * 3, False)
    )
    report = ReportRef(REPORT_ID, "Campaign", "Campaign_Members", FOLDER_ID)

    with pytest.raises(CrmRejected) as stopped:
        list(adapter().iter_report_pages(report, "CONTACT_ID", COLUMNS, prefetch=False))
    assert stopped.value.code == "PAGING_ORDER"
    assert "no value in the id column CONTACT_ID" in str(stopped.value)
