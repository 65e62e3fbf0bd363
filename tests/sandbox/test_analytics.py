"""Analytics API: report list, describe, runs with overrides, the 2,000-row cap, keyset paging."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sandbox_helpers import report_id

from connector.sandbox import FaultRule, SandboxOrg
from connector.sandbox.reports import COLUMNS

BY_ID = [{"sortColumn": "CONTACT_ID", "sortOrder": "Asc"}]


def _run(api: requests.Session, rest: str, rid: str, metadata: dict[str, Any]) -> requests.Response:
    return api.post(
        f"{rest}/analytics/reports/{rid}",
        params={"includeDetails": "true"},
        json={"reportMetadata": metadata},
    )


def test_report_list_names_every_report(api: requests.Session, rest: str) -> None:
    reports = api.get(f"{rest}/analytics/reports").json()
    assert {"Enterprise contacts", "Webinar attendees", "Renewals Q3"} <= {
        r["name"] for r in reports
    }
    assert all(r["describeUrl"].endswith("/describe") for r in reports)


def test_describe_has_metadata_and_every_column_of_the_report_type(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    rid = report_id(sandbox_org, "Enterprise_Contacts")
    body = api.get(f"{rest}/analytics/reports/{rid}/describe").json()
    metadata = body["reportMetadata"]
    folder = next(f for f in sandbox_org.folders.values() if f.developer_name == "Call_Lists")
    assert metadata["developerName"] == "Enterprise_Contacts"
    assert metadata["folderId"] == folder.id
    assert metadata["reportFormat"] == "TABULAR"
    assert metadata["reportType"]["label"] == "Contacts & Accounts"
    assert metadata["detailColumns"] == list(COLUMNS)
    info = body["reportExtendedMetadata"]["detailColumnInfo"]
    assert info["CONTACT_ID"] == {"label": "Contact ID", "dataType": "id"}
    assert info["BIRTHDATE"]["dataType"] == "date" and info["LAST_UPDATE"]["dataType"] == "datetime"
    assert set(info) == set(COLUMNS)


def test_given_detail_columns_override_then_only_those_columns_in_that_order(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    rid = report_id(sandbox_org, "Renewals_Q3")
    columns = ["EMAIL", "CONTACT_ID", "BIRTHDATE", "CREATED_DATE"]
    body = _run(api, rest, rid, {"detailColumns": columns, "sortBy": BY_ID}).json()
    assert body["reportMetadata"]["detailColumns"] == columns
    assert list(body["reportExtendedMetadata"]["detailColumnInfo"]) == columns
    rows = body["factMap"]["T!T"]["rows"]
    assert rows and all(len(row["dataCells"]) == 4 for row in rows)
    email, contact, _birthdate, created = rows[0]["dataCells"]
    contact_row = sandbox_org.contacts.peek(contact["value"])
    assert contact_row is not None and email["value"] == contact_row["Email"]
    assert contact["label"] == contact_row["Name"]
    assert created["value"].endswith("Z")
    dates = [r["dataCells"][2] for r in rows]
    assert {"label": "-", "value": None} in dates  # some contacts have no birthdate
    assert all(d["value"] is None or len(d["value"]) == 10 for d in dates)
    assert body["allData"] is True and body["hasDetailRows"] is True
    assert body["factMap"]["T!T"]["aggregates"][0]["value"] == len(rows)


def test_a_big_report_returns_2000_rows_with_all_data_false_and_the_full_row_count(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    rid = report_id(sandbox_org, "Enterprise_Contacts")
    body = api.get(f"{rest}/analytics/reports/{rid}", params={"includeDetails": "true"}).json()
    assert len(body["factMap"]["T!T"]["rows"]) == 2000
    assert body["allData"] is False
    assert body["factMap"]["T!T"]["aggregates"] == [{"label": "6,000", "value": 6000}]
    assert body["attributes"]["reportId"] == rid


def test_keyset_paging_over_the_6000_row_report_returns_every_row_exactly_once(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    report = next(
        r for r in sandbox_org.reports.values() if r.developer_name == "Enterprise_Contacts"
    )
    seen: list[str] = []
    pages = 0
    while True:
        filters = (
            [{"column": "CONTACT_ID", "operator": "greaterThan", "value": seen[-1]}] if seen else []
        )
        body = _run(
            api,
            rest,
            report.id,
            {"detailColumns": ["CONTACT_ID"], "sortBy": BY_ID, "reportFilters": filters},
        ).json()
        pages += 1
        seen += [row["dataCells"][0]["value"] for row in body["factMap"]["T!T"]["rows"]]
        if body["allData"]:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 6000
    assert set(seen) == set(report.members)


@pytest.mark.parametrize(
    "metadata",
    [
        {"detailColumns": ["CONTACT_ID", "SALARY__C"]},
        {"reportFilters": [{"column": "SALARY__C", "operator": "equals", "value": "1"}]},
        {"sortBy": [{"sortColumn": "SALARY__C", "sortOrder": "Asc"}]},
    ],
)
def test_an_unknown_column_is_a_bad_request_naming_it(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg, metadata: dict[str, Any]
) -> None:
    response = _run(api, rest, report_id(sandbox_org, "Renewals_Q3"), metadata)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "BAD_REQUEST"
    assert "SALARY__C" in response.json()[0]["message"]


def test_given_saved_filter_logic_when_a_filter_is_added_without_logic_then_400(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    report = next(
        r for r in sandbox_org.reports.values() if r.developer_name == "Webinar_Attendees"
    )
    added = [*report.report_filters, {"column": "LEAD_SOURCE", "operator": "notEqual", "value": ""}]
    refused = _run(api, rest, report.id, {"reportFilters": added})
    assert refused.status_code == 400
    accepted = _run(
        api, rest, report.id, {"reportFilters": added, "reportBooleanFilter": "1 AND 2 AND 3"}
    )
    assert accepted.status_code == 200
    assert accepted.json()["reportMetadata"]["reportBooleanFilter"] == "1 AND 2 AND 3"


def test_more_than_one_sort_column_is_refused(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    sort = [*BY_ID, {"sortColumn": "EMAIL", "sortOrder": "Asc"}]
    response = _run(api, rest, report_id(sandbox_org, "Renewals_Q3"), {"sortBy": sort})
    assert response.status_code == 400


def test_filters_and_sorting_on_other_columns(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    rid = report_id(sandbox_org, "Webinar_Attendees")
    body = _run(
        api,
        rest,
        rid,
        {
            "detailColumns": ["MAILING_COUNTRY", "LAST_NAME"],
            "reportFilters": [
                {"column": "EMAIL", "operator": "notEqual", "value": ""},
                {"column": "MAILING_COUNTRY", "operator": "equals", "value": "Germany,France"},
            ],
            "reportBooleanFilter": "1 AND 2",
            "sortBy": [{"sortColumn": "LAST_NAME", "sortOrder": "Desc"}],
        },
    ).json()
    rows = [[c["value"] for c in r["dataCells"]] for r in body["factMap"]["T!T"]["rows"]]
    assert rows and {country for country, _ in rows} <= {"Germany", "France"}
    names = [name.casefold() for _, name in rows]
    assert names == sorted(names, reverse=True)


def test_data_changes_show_up_in_report_runs(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    report = next(r for r in sandbox_org.reports.values() if r.developer_name == "Renewals_Q3")
    metadata = {"detailColumns": ["CONTACT_ID", "EMAIL"], "sortBy": BY_ID}
    before = _run(api, rest, report.id, metadata).json()["factMap"]["T!T"]
    first = before["rows"][0]["dataCells"][0]["value"]
    contact = sandbox_org.contacts[first]
    original = contact["Email"]
    contact["Email"] = "changed@demo.example"
    removed = list(report.members)[-1]
    report.members.discard(removed)
    try:
        after = _run(api, rest, report.id, metadata).json()["factMap"]["T!T"]
        assert after["rows"][0]["dataCells"][1]["value"] == "changed@demo.example"
        assert after["aggregates"][0]["value"] == before["aggregates"][0]["value"] - 1
    finally:
        contact["Email"] = original
        report.members.add(removed)


def test_a_report_outside_the_folder_is_still_runnable_by_id(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    response = api.get(f"{rest}/analytics/reports/{report_id(sandbox_org, 'Salary_Review')}")
    assert response.status_code == 200
    missing = api.get(f"{rest}/analytics/reports/00O5g00000ZZZZZ")
    assert missing.status_code == 404


def test_descending_keyset_paging_with_less_than_also_covers_every_row_once(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    report = next(
        r for r in sandbox_org.reports.values() if r.developer_name == "Webinar_Attendees"
    )
    seen: list[str] = []
    while True:
        filters = [*report.report_filters]
        if seen:
            filters.append({"column": "CONTACT_ID", "operator": "lessThan", "value": seen[-1]})
        logic = " AND ".join(str(n) for n in range(1, len(filters) + 1))
        body = _run(
            api,
            rest,
            report.id,
            {
                "detailColumns": ["CONTACT_ID"],
                "reportFilters": filters,
                "reportBooleanFilter": logic,
                "sortBy": [{"sortColumn": "CONTACT_ID", "sortOrder": "Desc"}],
            },
        ).json()
        page = [row["dataCells"][0]["value"] for row in body["factMap"]["T!T"]["rows"]]
        assert page == sorted(page, reverse=True)
        seen += page
        if body["allData"]:
            break
    assert len(seen) == len(set(seen)) == len(report.members)


def test_a_drop_column_fault_answers_without_that_column(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    rid = report_id(sandbox_org, "Webinar_Attendees")
    sandbox_org.set_faults(
        [FaultRule(endpoint=f"/analytics/reports/{rid}$", drop_column="EMAIL", times=1)]
    )
    metadata = {"detailColumns": ["CONTACT_ID", "EMAIL", "LAST_NAME"], "sortBy": BY_ID}

    dropped = _run(api, rest, rid, metadata)
    assert dropped.status_code == 200
    body = dropped.json()
    assert body["reportMetadata"]["detailColumns"] == ["CONTACT_ID", "LAST_NAME"]
    assert set(body["reportExtendedMetadata"]["detailColumnInfo"]) == {"CONTACT_ID", "LAST_NAME"}
    assert {len(row["dataCells"]) for row in body["factMap"]["T!T"]["rows"]} == {2}

    whole = _run(api, rest, rid, metadata).json()  # the rule fired its one time
    assert whole["reportMetadata"]["detailColumns"] == ["CONTACT_ID", "EMAIL", "LAST_NAME"]
