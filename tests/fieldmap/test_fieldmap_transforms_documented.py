"""Transform edges: addresses the fast path declines, long picklist values, exact reasons.

An address the plain-ASCII fast path declines (Unicode, IDNA, "--") must still get the full
check's answer, never an empty value; an unknown picklist value of any length is a row
rejection, never an exception.
"""

from __future__ import annotations

from typing import Any

import pytest
from email_validator import validate_email

from connector.fieldmap import FieldMap, FieldSpec, Invalid, apply_map
from connector.fieldmap.apply import Reject
from connector.fieldmap.transforms import plain_email, run_transform


def run(transform: str, raw: str, **options: Any) -> str | Invalid | None:
    column = None if transform == "constant" else "COL"
    return run_transform(transform, raw, FieldSpec(column=column, transform=transform, **options))


#: 254 characters: a 64-character local part and a domain of 189 in labels of at most 63.
LONGEST = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
assert len(LONGEST) == 254


def full_check(text: str) -> str:
    local, _, domain = validate_email(text, check_deliverability=False).normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ünïcode@example.com", "ünïcode@example.com"),
        ("a@xn--bcher-kva.com", "a@bücher.com"),  # IDNA label: stored in Unicode form
        ("x@Bücher.COM", "x@bücher.com"),
        ("用户@例子.广告", "用户@例子.广告"),
        ("a--b@example.com", "a--b@example.com"),
        ("a" * 65 + "@example.com", "a" * 65 + "@example.com"),  # local part over 64
        ("Zoë.Ångström@Example.ORG", "Zoë.Ångström@example.org"),
    ],
)
def test_given_an_address_the_fast_path_declines_then_the_full_check_answers(
    raw: str, expected: str
) -> None:
    assert plain_email(raw) is None  # this row is about the full check
    assert run("email", raw) == expected == full_check(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a" * 64 + "@example.com", "a" * 64 + "@example.com"),  # the longest local part
        ("Ada@Sub.EXAMPLE.com", "Ada@sub.example.com"),
        ("o'brien+x@example.co.uk", "o'brien+x@example.co.uk"),
        (LONGEST, LONGEST),  # 254 characters, the longest address
    ],
)
def test_given_a_plain_address_then_the_fast_path_answers_as_the_full_check(
    raw: str, expected: str
) -> None:
    assert plain_email(raw) == expected == full_check(raw)
    assert run("email", raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "ada@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com",  # > 254
        LONGEST + "x",  # 255 characters, every part within its own limit
        "ada@example.test",  # special-use domain
        "ada@mail.example.test",  # a subdomain of one
        "ada@printer.office.local",
        "ada@example.local",
        "ada@localhost",
        '"ada lovelace"@example.com',
    ],
)
def test_given_an_address_no_mail_can_reach_then_it_is_rejected(raw: str) -> None:
    assert plain_email(raw) is None
    result = run("email", raw)
    assert isinstance(result, Invalid)
    assert result.reason == "not a valid email address"  # never the validator's quote of it


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("x" * 40, "x" * 40),
        ("x" * 41, "x" * 37 + "..."),
        (
            "Qualified by the partner team in EMEA north region",
            "Qualified by the partner team in EMEA...",
        ),
    ],
)
def test_given_an_unknown_picklist_value_then_the_reason_never_quotes_it(
    value: str, shown: str
) -> None:
    result = run("picklist", value, values={"Hot": "hot"})
    assert result == Invalid("value is not in the picklist's `values` and there is no `default`")
    assert isinstance(result, Invalid) and shown not in result.reason  # no personal data


@pytest.mark.parametrize("length", [41, 255, 5000])
def test_given_a_long_unknown_picklist_value_then_the_row_is_rejected(length: int) -> None:
    fm = FieldMap.model_validate(
        {
            "customer": "acme",
            "crm": {"login_url": "https://acme.my.salesforce.com", "auth": "jwt"},
            "source": {"report_folder": "Call_Lists"},
            "prospect": {
                "id": "CONTACT_ID",
                "fields": {
                    "status": {"column": "STATUS", "transform": "picklist", "values": {"A": "a"}}
                },
            },
        }
    )
    result = apply_map(fm, {"CONTACT_ID": "003000000000001AAA", "STATUS": "v" * length})
    assert result == Reject(
        "003000000000001AAA",
        [
            "field 'status' (column 'STATUS'): value is not in the picklist's `values` and "
            "there is no `default`"
        ],
    )


def test_given_a_picklist_value_in_another_case_then_it_is_found_by_casefolding() -> None:
    assert run("picklist", "STRASSE", values={"Straße": "street"}) == "street"
    assert run("picklist", "Hot", values={"hot": "warm", "Hot": "hot"}) == "hot"  # exact first
    assert run("picklist", "Warm", values={"Hot": "hot"}, default="other") == "other"


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("call me", "US", "not a phone number"),
        ("555-0134", "US", "not a valid phone number for region US"),
        ("+1 555 0134", None, "not a valid phone number"),
        (
            "(415) 555-0134",
            None,
            "phone number has no valid country code; write +<code> or set region",
        ),
    ],
)
def test_given_a_bad_phone_number_then_the_reason_is_exact(
    raw: str, region: str | None, reason: str
) -> None:
    assert run("phone", raw, region=region) == Invalid(reason)


@pytest.mark.parametrize(
    ("transform", "options", "reason"),
    [
        ("date", {}, "not an ISO 8601 date; set `format` (e.g. '%m/%d/%Y') for report labels"),
        ("date", {"format": "%d.%m.%Y"}, "not a date in format '%d.%m.%Y' or ISO 8601"),
        (
            "datetime",
            {},
            "not an ISO 8601 date-time; set `format` (e.g. '%m/%d/%Y') for report labels",
        ),
        (
            "datetime",
            {"format": "%d.%m.%Y %H:%M"},
            "not a date-time in format '%d.%m.%Y %H:%M' or ISO 8601",
        ),
    ],
)
def test_given_an_unreadable_date_then_the_reason_says_how_to_fix_it(
    transform: str, options: dict[str, str], reason: str
) -> None:
    assert run(transform, "soon", **options) == Invalid(reason)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jean-luc o'neil", "Jean-Luc O'Neil"),
        ("ÉCOLE DU NORD", "École Du Nord"),
        ("McDonald iPhone", "McDonald iPhone"),
        ("3rd street", "3rd Street"),
        ("st.john", "St.John"),
        ("a  b", "A B"),
    ],
)
def test_given_text_then_title_case_capitalises_words_but_keeps_mixed_case(
    raw: str, expected: str
) -> None:
    assert run("title_case", raw) == expected


def test_given_a_transform_result_with_spaces_then_it_is_cleaned() -> None:
    assert run("picklist", "Hot", values={"Hot": "  very   hot "}) == "very hot"
    assert run("lower", "ÀB  C") == "àb c"
    assert run("upper", "straße") == "STRASSE"
