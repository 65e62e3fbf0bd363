"""Every transform, good and bad values, as tables. Transforms return values, never raise."""

from __future__ import annotations

from typing import Any

import pytest

from connector.fieldmap import TRANSFORMS, FieldSpec, Invalid
from connector.fieldmap.personnames import split_full_name
from connector.fieldmap.transforms import clean_text, get_transform, run_transform


def spec(transform: str = "trim", **options: Any) -> FieldSpec:
    column = None if transform == "constant" else "COL"
    return FieldSpec(column=column, transform=transform, **options)


def run(transform: str, raw: str, **options: Any) -> str | Invalid | None:
    return run_transform(transform, raw, spec(transform, **options))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada", "Ada"),
        ("  Ada   King  ", "Ada King"),
        ("\tAda\nKing\r\n", "Ada King"),
        ("", None),
        ("   \n ", None),
        ("Ada\x00Lovelace", "AdaLovelace"),
        ("Ada\ud800", "Ada"),
        ("\x07", None),
        ("Zoë Ångström", "Zoë Ångström"),
    ],
)
def test_trim_collapses_whitespace_and_drops_unstorable_characters(
    raw: str, expected: str | None
) -> None:
    assert clean_text(raw) == expected
    assert run("trim", raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        ("Ada.Lovelace@EXAMPLE.COM", "Ada.Lovelace@example.com"),
        ("  ada@example.com ", "ada@example.com"),
        ("ada+calls@sub.example.co.uk", "ada+calls@sub.example.co.uk"),
    ],
)
def test_email_normalizes_and_lowercases_the_domain(raw: str, expected: str) -> None:
    assert run("email", raw) == expected


@pytest.mark.parametrize(
    "raw", ["ada", "ada@", "@example.com", "ada@@example.com", "ada lovelace@example.com", "a@b"]
)
def test_email_rejects_what_is_not_an_address(raw: str) -> None:
    result = run("email", raw)
    assert isinstance(result, Invalid)
    assert "not a valid email address" in result.reason


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(415) 555-0134", "US", "+14155550134"),
        ("415.555.0134", "US", "+14155550134"),
        ("+1 415 555 0134", None, "+14155550134"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("415-555-0134 ext. 12", "US", "+14155550134"),
    ],
)
def test_phone_formats_e164(raw: str, region: str | None, expected: str) -> None:
    assert run("phone", raw, region=region) == expected


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("12", "US", "not a valid phone number"),
        ("call me", "US", "not a phone number"),
        ("555-0134", "US", "not a valid phone number"),
        ("(415) 555-0134", None, "country code"),
        ("+999 1234 5678", "US", "country code"),
    ],
)
def test_phone_rejects_invalid_numbers(raw: str, region: str | None, reason: str) -> None:
    result = run("phone", raw, region=region)
    assert isinstance(result, Invalid)
    assert reason in result.reason


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Ada Lovelace", "Ada", "Lovelace"),
        ("Lovelace, Ada", "Ada", "Lovelace"),
        ("Lovelace, Ada King", "Ada", "Lovelace"),
        ("Ada King Lovelace", "Ada", "Lovelace"),
        ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        ("Maria de la Cruz", "Maria", "de la Cruz"),
        ("de la Cruz, Maria", "Maria", "de la Cruz"),
        ("Dr. Ada Lovelace", "Ada", "Lovelace"),
        ("Martin Luther King Jr.", "Martin", "King"),
        ("King, Martin Luther, Jr.", "Martin", "King"),
        ("Cher", None, "Cher"),
        ("Lovelace,", None, "Lovelace"),
        (", ,", None, None),
    ],
)
def test_full_names_split_into_first_and_last(full: str, first: str, last: str) -> None:
    assert split_full_name(full) == (first, last)
    assert run("first_name", full) == first
    assert run("last_name", full) == last


@pytest.mark.parametrize(
    ("transform", "raw", "expected"),
    [
        ("upper", "us", "US"),
        ("upper", "straße", "STRASSE"),
        ("lower", "ADA@Example.COM", "ada@example.com"),
        ("title_case", "ada lovelace", "Ada Lovelace"),
        ("title_case", "ADA O'NEIL-SMITH", "Ada O'Neil-Smith"),
        ("title_case", "McDonald and iPhone", "McDonald And iPhone"),
        ("title_case", "3rd floor", "3rd Floor"),
    ],
)
def test_case_transforms(transform: str, raw: str, expected: str) -> None:
    assert run(transform, raw) == expected


@pytest.mark.parametrize(
    ("raw", "options", "expected"),
    [
        ("2024-05-20", {}, "2024-05-20"),
        ("2024-05-20T23:30:00.000+0000", {}, "2024-05-20"),
        ("2024-05-21T02:00:00Z", {"timezone": "America/New_York"}, "2024-05-20"),
        ("5/20/2024", {"format": "%m/%d/%Y"}, "2024-05-20"),
        ("2024-05-20", {"format": "%m/%d/%Y"}, "2024-05-20"),
        ("20.05.2024", {"format": "%d.%m.%Y"}, "2024-05-20"),
    ],
)
def test_date_reads_iso_salesforce_and_labelled_forms(
    raw: str, options: dict[str, str], expected: str
) -> None:
    assert run("date", raw, **options) == expected


@pytest.mark.parametrize(
    ("raw", "options", "reason"),
    [
        ("5/20/2024", {}, "set `format`"),
        ("2024-13-01", {}, "ISO 8601 date"),
        ("yesterday", {"format": "%m/%d/%Y"}, "format '%m/%d/%Y'"),
        ("0001-01-01T00:00:00+01:00", {}, "date"),
    ],
)
def test_date_rejects_what_it_cannot_read(raw: str, options: dict[str, str], reason: str) -> None:
    result = run("date", raw, **options)
    assert isinstance(result, Invalid)
    assert reason in result.reason


@pytest.mark.parametrize(
    ("raw", "options", "expected"),
    [
        ("2024-05-20T13:45:00.000+0000", {}, "2024-05-20T13:45:00Z"),
        ("2024-05-20T13:45:00Z", {}, "2024-05-20T13:45:00Z"),
        ("2024-05-20T15:45:00+02:00", {}, "2024-05-20T13:45:00Z"),
        ("2024-05-20T13:45:00", {}, "2024-05-20T13:45:00Z"),
        ("2024-05-20 09:45:00", {"timezone": "America/New_York"}, "2024-05-20T13:45:00Z"),
        ("2024-05-20", {}, "2024-05-20T00:00:00Z"),
        ("5/20/2024 1:45 PM", {"format": "%m/%d/%Y %I:%M %p"}, "2024-05-20T13:45:00Z"),
    ],
)
def test_datetime_converts_to_utc(raw: str, options: dict[str, str], expected: str) -> None:
    assert run("datetime", raw, **options) == expected


@pytest.mark.parametrize("raw", ["tomorrow", "2024-05-20T25:00:00", "0001-01-01T00:00:00+01:00"])
def test_datetime_rejects_what_it_cannot_read(raw: str) -> None:
    assert isinstance(run("datetime", raw), Invalid)


VALUES = {"Hot": "hot", "Cold": "cold", "Dead": None}


@pytest.mark.parametrize(
    ("raw", "default", "expected"),
    [
        ("Hot", None, "hot"),
        ("HOT", None, "hot"),
        ("Dead", None, None),
        ("Warm", "other", "other"),
    ],
)
def test_picklist_maps_crm_values(raw: str, default: str | None, expected: str | None) -> None:
    assert run("picklist", raw, values=VALUES, default=default) == expected


def test_picklist_rejects_an_unmapped_value_without_default() -> None:
    result = run("picklist", "Warm", values=VALUES)
    assert isinstance(result, Invalid)
    assert "not in the picklist's `values`" in result.reason
    assert "Warm" not in result.reason


@pytest.mark.parametrize("raw", ["", "anything"])
def test_constant_ignores_the_cell(raw: str) -> None:
    assert run("constant", raw, value="Salesforce") == "Salesforce"


def test_every_transform_is_documented_and_tested_here() -> None:
    assert set(TRANSFORMS) == {
        "trim", "email", "phone", "first_name", "last_name", "upper", "lower", "title_case",
        "date", "datetime", "picklist", "constant",
    }  # fmt: skip
    assert all(transform.summary for transform in TRANSFORMS.values())


def test_given_an_unknown_transform_then_the_error_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown transform 'emial'; did you mean 'email'\?") as e:
        get_transform("emial")
    assert "phone" in str(e.value)


def test_empty_cells_give_none_for_every_column_transform() -> None:
    for name, transform in TRANSFORMS.items():
        if transform.uses_column:
            options = {"values": VALUES} if name == "picklist" else {}
            assert run(name, "  ", **options) is None
