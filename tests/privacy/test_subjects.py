"""Normalizing data-subject identifiers: the same person matches however they are written."""

from __future__ import annotations

import pytest

from connector.errors import ConfigError
from connector.privacy.subjects import Subject, matching_crm_ids, parse_subject, row_subjects


@pytest.mark.parametrize(
    ("kind", "raw", "region", "expected"),
    [
        ("email", "  Ada@Example.COM ", None, "ada@example.com"),
        ("phone", "+1 (415) 555-0101", None, "+14155550101"),
        ("phone", "415 555 0101", "US", "+14155550101"),
        ("phone", "+14155550101", None, "+14155550101"),
        ("crm_id", " 003000000000001AAA ", None, "003000000000001AAA"),
        ("crm_id", "0035G00000ABCDEAAV", None, "0035g00000AbCdEAAV"),
        ("crm_id", "0035g00000abcdeaav", None, "0035g00000AbCdEAAV"),
        ("crm_id", "0035g00000AbCdE", None, "0035g00000AbCdEAAV"),
    ],
)
def test_identifiers_are_normalized(kind: str, raw: str, region: str | None, expected: str) -> None:
    assert parse_subject(kind, raw, region=region) == Subject(kind, expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "raw"),
    [("email", "not-an-address"), ("phone", "415 555 0101"), ("crm_id", "  "), ("name", "Ada")],
)
def test_unreadable_identifiers_are_refused_without_echoing_them(kind: str, raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_subject(kind, raw)
    if raw.strip():
        assert raw not in str(caught.value)


def test_a_row_yields_its_crm_id_email_and_every_phone() -> None:
    subjects = row_subjects(
        "003A", {"email": "A@B.C", "phone": "+14155550101", "mobile_phone": "+14155550199"}
    )
    assert subjects == [
        Subject("crm_id", "003A"),
        Subject("email", "a@b.c"),
        Subject("phone", "+14155550101"),
        Subject("phone", "+14155550199"),
    ]


def test_matching_finds_every_record_of_a_subject_and_a_crm_id_always_matches_itself() -> None:
    rows = [
        {"crm_id": "003A", "email": "ada@example.com"},
        {"crm_id": "003B", "email": "ADA@example.com "},
        {"crm_id": "003C", "email": "bob@example.com"},
    ]
    assert matching_crm_ids(Subject("email", "ada@example.com"), rows) == {"003A", "003B"}
    assert matching_crm_ids(Subject("crm_id", "003Z"), rows) == {"003Z"}


@pytest.mark.parametrize(
    "typed", ["0035g00000AbCdEAAV", "0035G00000ABCDEAAV", "0035g00000abcdeaav"]
)
def test_an_18_character_id_matches_its_record_in_any_case(typed: str) -> None:
    rows = [{"crm_id": "0035g00000AbCdEAAV"}, {"crm_id": "0035g00000abcdeAAA"}]
    subject = parse_subject("crm_id", typed)
    assert matching_crm_ids(subject, rows) == {"0035g00000AbCdEAAV"}
