"""Summary and matrix runs: fact maps keyed by grouping, as "Decode the Fact Map" shows."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import requests
from sandbox_helpers import report_id

from connector.sandbox import SandboxOrg
from connector.sandbox.reports import Report


@pytest.fixture
def grouped(sandbox_org: SandboxOrg) -> Iterator[dict[str, Report]]:
    """A summary (by lead source) and a matrix (lead source x country) copy of Renewals_Q3."""
    base = sandbox_org.reports[report_id(sandbox_org, "Renewals_Q3")]
    ids = sandbox_org.id_sequences["Report"]
    made = {
        "summary": dataclasses.replace(
            base,
            id=ids.id_for(901),
            developer_name="Renewals_By_Source",
            report_format="SUMMARY",
            groupings_down=["LEAD_SOURCE"],
        ),
        "matrix": dataclasses.replace(
            base,
            id=ids.id_for(902),
            developer_name="Renewals_Matrix",
            report_format="MATRIX",
            groupings_down=["LEAD_SOURCE"],
            groupings_across=["MAILING_COUNTRY"],
            sort_by=[],
        ),
    }
    for report in made.values():
        sandbox_org.reports[report.id] = report
    yield made
    for report in made.values():
        del sandbox_org.reports[report.id]


def _run(api: requests.Session, rest: str, report: Report) -> dict:  # type: ignore[type-arg]
    response = api.get(f"{rest}/analytics/reports/{report.id}", params={"includeDetails": "true"})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_summary_run_spreads_detail_rows_over_its_groupings(
    api: requests.Session, rest: str, grouped: dict[str, Report]
) -> None:
    body = _run(api, rest, grouped["summary"])
    groupings = body["groupingsDown"]["groupings"]
    assert [g["key"] for g in groupings] == [str(n) for n in range(len(groupings))] != []
    fact_map = body["factMap"]
    assert set(fact_map) == {f"{g['key']}!T" for g in groupings} | {"T!T"}
    assert fact_map["T!T"]["rows"] == []
    per_group = [fact_map[f"{g['key']}!T"] for g in groupings]
    assert all(len(f["rows"]) == f["aggregates"][0]["value"] for f in per_group)
    total = fact_map["T!T"]["aggregates"][0]["value"]
    assert sum(len(f["rows"]) for f in per_group) == min(2000, total)
    assert body["reportMetadata"]["groupingsDown"][0]["name"] == "LEAD_SOURCE"


def test_a_summary_report_run_as_tabular_has_its_rows_under_t_t(
    api: requests.Session, rest: str, grouped: dict[str, Report]
) -> None:
    response = api.post(
        f"{rest}/analytics/reports/{grouped['summary'].id}",
        json={"reportMetadata": {"reportFormat": "TABULAR"}},
    )
    body = response.json()
    assert list(body["factMap"]) == ["T!T"] and body["factMap"]["T!T"]["rows"]
    assert body["reportMetadata"]["groupingsDown"] == []


def test_a_matrix_run_has_cells_and_totals_but_no_detail_rows(
    api: requests.Session, rest: str, grouped: dict[str, Report]
) -> None:
    body = _run(api, rest, grouped["matrix"])
    downs = body["groupingsDown"]["groupings"]
    acrosses = body["groupingsAcross"]["groupings"]
    fact_map = body["factMap"]
    expected = (
        {f"{d['key']}!{a['key']}" for d in downs for a in acrosses}
        | {f"{d['key']}!T" for d in downs}
        | {f"T!{a['key']}" for a in acrosses}
        | {"T!T"}
    )
    assert set(fact_map) == expected
    assert all("rows" not in cell for cell in fact_map.values())
    assert body["hasDetailRows"] is False
    total = fact_map["T!T"]["aggregates"][0]["value"]
    assert sum(fact_map[f"{d['key']}!T"]["aggregates"][0]["value"] for d in downs) == total


def test_a_matrix_run_cannot_be_sorted(
    api: requests.Session, rest: str, grouped: dict[str, Report]
) -> None:
    response = api.post(
        f"{rest}/analytics/reports/{grouped['matrix'].id}",
        json={"reportMetadata": {"sortBy": [{"sortColumn": "EMAIL", "sortOrder": "Asc"}]}},
    )
    assert response.status_code == 400
    assert response.json()[0]["message"] == "Column sorting isn't supported for matrix reports."


def test_describe_names_the_format_groupings_and_row_limit(
    api: requests.Session, rest: str, grouped: dict[str, Report]
) -> None:
    matrix = grouped["matrix"]
    matrix.top_rows = {"rowLimit": 10, "direction": "Asc"}
    metadata = api.get(f"{rest}/analytics/reports/{matrix.id}/describe").json()["reportMetadata"]
    assert metadata["reportFormat"] == "MATRIX"
    assert [g["name"] for g in metadata["groupingsAcross"]] == ["MAILING_COUNTRY"]
    assert metadata["topRows"] == {"rowLimit": 10, "direction": "Asc"}
