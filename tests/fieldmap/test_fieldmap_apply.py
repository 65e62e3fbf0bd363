"""Mapping report rows: exactly the mapped fields come out, bad rows become rejects."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fieldmap_builders import VALID_MAP

from connector.fieldmap import (
    FieldMap,
    MappedRow,
    Reject,
    apply_map,
    parse_field_map_text,
    requested_columns,
)
from connector.fieldmap.apply import cell_text

ROW = {
    "CONTACT_ID": "0035g00000AbCdEAAV",
    "FIRST_NAME": "  Ada ",
    "LAST_NAME": "Lovelace",
    "EMAIL": "Ada@Example.COM",
    "PHONE1": "(415) 555-0134",
    "ACCOUNT.NAME": "Analytical Engines Ltd",
    "BIRTHDATE": "1815-12-10",
}


@pytest.fixture
def field_map() -> FieldMap:
    return parse_field_map_text(VALID_MAP, "acme.yaml", env={})


def with_fields(fields: str) -> FieldMap:
    start = VALID_MAP.index("  fields:\n")
    end = VALID_MAP.index("activities:")
    return parse_field_map_text(VALID_MAP[:start] + fields + VALID_MAP[end:], "acme.yaml")


def test_given_a_good_row_then_exactly_the_mapped_fields_are_returned(field_map: FieldMap) -> None:
    assert apply_map(field_map, ROW) == MappedRow(
        crm_id="0035g00000AbCdEAAV",
        fields={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "Ada@example.com",
            "phone": "+14155550134",
            "company": "Analytical Engines Ltd",
        },
    )


def test_requested_columns_are_the_id_and_the_mapped_columns_only(field_map: FieldMap) -> None:
    assert requested_columns(field_map) == [
        "CONTACT_ID", "FIRST_NAME", "LAST_NAME", "EMAIL", "PHONE1", "ACCOUNT.NAME"
    ]  # fmt: skip


def test_a_column_mapped_twice_is_requested_once() -> None:
    fm = with_fields(
        "  fields:\n"
        "    first_name: {column: NAME, transform: first_name}\n"
        "    last_name: {column: NAME, transform: last_name}\n"
        "    full_name: NAME\n"
        "    lead_source: {transform: constant, value: Salesforce}\n"
    )
    assert requested_columns(fm) == ["CONTACT_ID", "NAME"]
    result = apply_map(fm, {"CONTACT_ID": "003A", "NAME": "Lovelace, Ada"})
    assert result == MappedRow(
        "003A",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "full_name": "Lovelace, Ada",
            "lead_source": "Salesforce",
        },
    )


@pytest.mark.parametrize("crm_id", [None, "", "   ", "003 A"])
def test_given_a_row_without_record_id_then_it_is_rejected(
    field_map: FieldMap, crm_id: str | None
) -> None:
    result = apply_map(field_map, {**ROW, "CONTACT_ID": crm_id})
    assert result == Reject(None, ["column 'CONTACT_ID' (prospect.id) holds no CRM record id"])


def test_a_row_missing_the_id_column_is_rejected(field_map: FieldMap) -> None:
    row = {key: value for key, value in ROW.items() if key != "CONTACT_ID"}
    assert isinstance(apply_map(field_map, row), Reject)


def test_given_bad_cells_then_every_failing_field_is_named(field_map: FieldMap) -> None:
    result = apply_map(field_map, {**ROW, "LAST_NAME": " ", "EMAIL": "ada@", "PHONE1": "12"})
    assert isinstance(result, Reject)
    assert result.crm_id == "0035g00000AbCdEAAV"
    assert result.reasons[0] == "field 'last_name' (column 'LAST_NAME'): required but empty"
    assert result.reasons[1].startswith("field 'email' (column 'EMAIL'): not a valid email")
    assert (
        result.reasons[2]
        == "field 'phone' (column 'PHONE1'): not a valid phone number for region US"
    )
    assert len(result.reasons) == 3
    assert all("ada@" not in reason for reason in result.reasons)


def test_empty_and_missing_optional_cells_are_stored_as_none(field_map: FieldMap) -> None:
    row = {"CONTACT_ID": "003A", "LAST_NAME": "Lovelace", "EMAIL": None}
    result = apply_map(field_map, row)
    assert isinstance(result, MappedRow)
    assert result.fields == {
        "first_name": None, "last_name": "Lovelace", "email": None, "phone": None, "company": None
    }  # fmt: skip


def test_default_fills_empty_cells_only() -> None:
    fm = with_fields(
        "  fields:\n"
        "    country: {column: COUNTRY, default: US, transform: upper}\n"
        "    status: {column: STATUS, transform: picklist, values: {Open: open, Gone: null}}\n"
    )
    rows: list[tuple[dict[str, str], dict[str, str | None]]] = [
        ({"COUNTRY": "", "STATUS": "Gone"}, {"country": "US", "status": None}),
        ({"COUNTRY": "de", "STATUS": "open"}, {"country": "DE", "status": "open"}),
    ]
    for cells, expected in rows:
        assert apply_map(fm, {"CONTACT_ID": "003A", **cells}) == MappedRow("003A", expected)


def test_required_is_satisfied_by_a_default() -> None:
    fm = with_fields("  fields:\n    last_name: {column: L, required: true, default: Unknown}\n")
    assert apply_map(fm, {"CONTACT_ID": "003A"}) == MappedRow("003A", {"last_name": "Unknown"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("x", "x"),
        (True, "true"),
        (42, "42"),
        (42.0, "42"),
        (4.5, "4.5"),
        (Decimal("1.50"), "1.50"),
        (date(2024, 5, 20), "2024-05-20"),
        (datetime(2024, 5, 20, 13, 45), "2024-05-20T13:45:00"),
    ],
)
def test_cells_of_any_plain_type_are_read_as_text(raw: Any, expected: str) -> None:
    assert cell_text(raw) == expected


def test_a_cell_of_an_unexpected_type_rejects_the_row_instead_of_raising(
    field_map: FieldMap,
) -> None:
    result = apply_map(field_map, {**ROW, "FIRST_NAME": {"label": "Ada"}})
    assert isinstance(result, Reject)
    assert "cell holds a dict" in result.reasons[0]
