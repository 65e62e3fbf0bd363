"""The plainly written North American number shortcut gives `phonenumbers`' own answers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.fieldmap import FieldSpec
from connector.fieldmap.transforms import (
    _PLAIN_NANP,
    NANP_REGIONS,
    parsed_e164,
    plain_nanp,
    run_transform,
)

#: Regions of the plan, no region, and regions with plans of their own (a field map holds
#: regions in upper case).
REGIONS = st.sampled_from([None, "GB", "DE", "FR", "JP", "BR", "MX", *sorted(NANP_REGIONS)])
#: Area codes in service (most random three-digit codes are not), so valid numbers turn up.
AREAS = ("201", "212", "303", "312", "415", "416", "514", "604", "646", "787", "876", "917")
SEPARATORS = st.sampled_from(["", " ", ".", "-"])


@st.composite
def written_numbers(draw: st.DrawFn) -> str:
    """A number of code 1 as people write it: area codes in service, any exchange."""
    prefix = draw(st.sampled_from(["", "+1", "1"]))
    area = draw(st.sampled_from(AREAS) | st.from_regex(r"[2-9][0-9][0-9]", fullmatch=True))
    if draw(st.booleans()):
        area = f"({area})"
    exchange = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    line = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    first, second, third = draw(SEPARATORS), draw(SEPARATORS), draw(SEPARATORS)
    return f"{prefix}{first if prefix else ''}{area}{second}{exchange}{third}{line}"


def phone(text: str, region: str | None) -> object:
    return run_transform(
        "phone", text, FieldSpec(column="PHONE1", transform="phone", region=region)
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(_PLAIN_NANP, fullmatch=True), REGIONS)
def test_whatever_the_shortcut_answers_the_library_answers_identically(
    text: str, region: str | None
) -> None:
    short = plain_nanp(text, region)
    full = parsed_e164(text, region)
    if short is not None:
        assert short == full
    assert phone(text, region) == full


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_numbers(), REGIONS)
def test_written_numbers_get_the_librarys_answer_valid_or_not(
    text: str, region: str | None
) -> None:
    full = parsed_e164(text, region)
    assert plain_nanp(text, region) in (None, full)
    assert phone(text, region) == full


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("+1 212 555 0100", None, "+12125550100"),
        ("(212) 555-0100", "US", "+12125550100"),
        ("212.555.0100", "CA", "+12125550100"),
        ("1-212-555-0100", "US", "+12125550100"),
        ("12125550100", "US", "+12125550100"),
        ("+1 (416) 555-0199", "GB", "+14165550199"),
        ("+1 555 123 4567", "US", None),  # no such area code
    ],
)
def test_shortcut_answers_known_numbers(
    text: str, region: str | None, expected: str | None
) -> None:
    answer = plain_nanp(text, region)
    if expected is None:
        assert answer == parsed_e164(text, region)
        assert answer is not None and not isinstance(answer, str)
    else:
        assert answer == expected == parsed_e164(text, region)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("212 555 0100", None),  # no country code and no region: the library says so
        ("212 555 0100", "GB"),  # read in the United Kingdom's plan
        ("1 212 555 0100", "DE"),
        ("+1 212 555 0100 x12", "US"),  # an extension
        ("+1 212  555 0100", "US"),  # two spaces
        ("+1 212 555 O100", "US"),  # a letter
        ("+1 201 \u0662\u0660\u0660 0000", "US"),  # digits of another script
        ("+44 20 7946 0958", "US"),
    ],
)
def test_other_writing_takes_the_full_parse(text: str, region: str | None) -> None:
    assert plain_nanp(text, region) is None
    assert phone(text, region) == parsed_e164(text, region)
