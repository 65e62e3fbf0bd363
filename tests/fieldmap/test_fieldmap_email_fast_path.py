"""The plain-address fast path of the email transform agrees with email-validator."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.fieldmap import FieldSpec, Invalid
from connector.fieldmap.transforms import _PLAIN_EMAIL, plain_email, run_transform


def full_check(text: str) -> str | None:
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    local, _, domain = checked.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(_PLAIN_EMAIL, fullmatch=True))
def test_whatever_the_fast_path_accepts_email_validator_accepts_identically(text: str) -> None:
    fast = plain_email(text)
    if fast is not None:
        assert fast == full_check(text)
    assert_transform_gives_the_full_checks_answer(text)


def assert_transform_gives_the_full_checks_answer(text: str) -> None:
    """Whichever path the transform takes, its answer is the full check's."""
    result = run_transform("email", text, FieldSpec(column="EMAIL", transform="email"))
    full = full_check(text)
    if full is None:
        assert isinstance(result, Invalid)
    else:
        assert result == full


@pytest.mark.parametrize(
    "text",
    [
        "Ada.Lovelace@Example.COM",
        "x+tag@mail.example.org",
        "a@b.test",  # special-use domain: full check
        "a@xn--bcher-kva.example",  # IDNA label: full check
        "ünïcode@example.com",
        "a..b@example.com",
        "a@-bad.example.com",
    ],
)
def test_fast_path_and_full_check_agree_on_known_cases(text: str) -> None:
    fast = plain_email(text)
    assert fast is None or fast == full_check(text)
    assert_transform_gives_the_full_checks_answer(text)


def test_an_address_already_normalized_comes_back_as_the_same_text() -> None:
    """The mapped field then skips cleaning it again (it is clean: the pattern admits only
    printable ASCII without spaces)."""
    text = "ada.lovelace@example.com"
    assert plain_email(text) is text
    assert plain_email("Ada.Lovelace@Example.COM") == "Ada.Lovelace@example.com"
