"""A field map against a report's columns: missing columns, renamed columns, wrong types."""

from __future__ import annotations

import pytest
from fieldmap_builders import VALID_MAP

from connector.fieldmap import (
    FieldMap,
    ReportColumnProblem,
    check_against_report,
    check_report_shape,
    parse_field_map_text,
)

COLUMNS = {
    "CONTACT_ID": "id",
    "FIRST_NAME": "string",
    "LAST_NAME": "string",
    "EMAIL": "email",
    "PHONE1": "phone",
    "ACCOUNT.NAME": "string",
    "BIRTHDATE": "date",
}


@pytest.fixture
def field_map() -> FieldMap:
    return parse_field_map_text(VALID_MAP, "acme.yaml", env={})


def test_given_a_matching_report_then_no_problems(field_map: FieldMap) -> None:
    assert check_against_report(field_map, "Enterprise_Contacts", COLUMNS) == []


def test_given_a_renamed_column_then_the_problem_suggests_the_new_name(
    field_map: FieldMap,
) -> None:
    columns = {**COLUMNS, "EMAIL_ADDRESS": "email"}
    del columns["EMAIL"]
    assert check_against_report(field_map, "R", columns) == [
        ReportColumnProblem(
            report="R",
            column="EMAIL",
            key="prospect.fields.email",
            message="report has no column 'EMAIL'",
            fix="did you mean 'EMAIL_ADDRESS'? set prospect.fields.email to it, "
            "or add 'EMAIL' to the report",
        )
    ]


def test_a_column_differing_only_in_case_is_suggested(field_map: FieldMap) -> None:
    columns = {**COLUMNS, "Last_Name": "string"}
    del columns["LAST_NAME"]
    (problem,) = check_against_report(field_map, "R", columns)
    assert "did you mean 'Last_Name'?" in problem.fix


def test_a_missing_id_column_is_reported(field_map: FieldMap) -> None:
    columns = {key: value for key, value in COLUMNS.items() if key != "CONTACT_ID"}
    (problem,) = check_against_report(field_map, "R", columns)
    assert (problem.key, problem.column) == ("prospect.id", "CONTACT_ID")
    assert str(problem).startswith("report 'R' prospect.id: report has no column 'CONTACT_ID';")


@pytest.mark.parametrize(
    ("column", "data_type", "key"),
    [
        ("PHONE1", "date", "prospect.fields.phone"),
        ("EMAIL", "int", "prospect.fields.email"),
        ("EMAIL", "boolean", "prospect.fields.email"),
        ("CONTACT_ID", "datetime", "prospect.id"),
    ],
)
def test_incompatible_types_are_reported(
    field_map: FieldMap, column: str, data_type: str, key: str
) -> None:
    (problem,) = check_against_report(field_map, "R", {**COLUMNS, column: data_type})
    assert (problem.column, problem.key) == (column, key)
    assert f"is of type {data_type}" in problem.message
    assert problem.fix


@pytest.mark.parametrize("data_type", ["id", "ID", "reference"])
def test_the_id_column_may_be_an_id_or_reference_column(
    field_map: FieldMap, data_type: str
) -> None:
    assert check_against_report(field_map, "R", {**COLUMNS, "CONTACT_ID": data_type}) == []


@pytest.mark.parametrize("data_type", ["string", "textarea", "email", "somenewtype"])
def test_the_id_column_must_be_id_typed_and_the_fix_names_one(
    field_map: FieldMap, data_type: str
) -> None:
    (problem,) = check_against_report(field_map, "R", {**COLUMNS, "CONTACT_ID": data_type})
    assert (problem.key, problem.column) == ("prospect.id", "CONTACT_ID")
    assert f"is of type {data_type}, not a record id" in problem.message
    assert "unique" in problem.message


def test_a_text_column_chosen_as_id_gets_a_fix_naming_the_reports_id_column() -> None:
    field_map = parse_field_map_text(
        VALID_MAP.replace("id: CONTACT_ID", "id: ACCOUNT.NAME"), "acme.yaml", env={}
    )
    (problem,) = check_against_report(field_map, "R", COLUMNS)
    assert (problem.key, problem.column) == ("prospect.id", "ACCOUNT.NAME")
    assert "set prospect.id to 'CONTACT_ID'" in problem.fix


@pytest.mark.parametrize("data_type", ["string", "textarea", "STRING", "somenewtype"])
def test_text_and_unknown_types_are_accepted(field_map: FieldMap, data_type: str) -> None:
    assert check_against_report(field_map, "R", {**COLUMNS, "EMAIL": data_type}) == []


def test_trim_reads_any_type(field_map: FieldMap) -> None:
    assert check_against_report(field_map, "R", {**COLUMNS, "FIRST_NAME": "double"}) == []


@pytest.mark.parametrize(
    ("report_format", "filters", "row_limit", "expected"),
    [
        ("TABULAR", 3, None, []),
        ("summary", 19, None, []),
        ("matrix", 0, None, ["save it as a tabular (or summary) report"]),
        ("multiblock", 0, None, ["save it as a tabular report"]),
        ("tabular", 0, 10, ["remove the row limit from the report"]),
        ("tabular", 20, None, ["remove one filter"]),
        ("matrix", 20, 5, [
            "save it as a tabular (or summary) report",
            "remove the row limit from the report",
            "remove one filter",
        ]),
    ],
)  # fmt: skip
def test_reports_that_cannot_be_paged_are_refused_with_the_fix(
    report_format: str, filters: int, row_limit: int | None, expected: list[str]
) -> None:
    problems = check_report_shape("Calls", report_format, filters, row_limit)
    assert [p.fix for p in problems] == expected
    assert all(p.report == "Calls" and p.key == "source.reports" for p in problems)
