"""Redacting a person from free text, and scrubbing contacts out of error messages."""

from __future__ import annotations

import pytest

from connector.redaction import REDACTED, redactor_for, scrub_contacts

ADA = {
    "email": "ada.lovelace@example.com",
    "phone": "+14155550101",
    "mobile_phone": None,
    "first_name": "Ada",
    "last_name": "Lovelace",
    "full_name": None,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call Ada Lovelace back", f"Call {REDACTED} back"),
        ("mail ADA.LOVELACE@EXAMPLE.COM today", f"mail {REDACTED} today"),
        ("ring +1 (415) 555-0101 now", f"ring {REDACTED} now"),
        ("ring 415.555.0101 now", f"ring {REDACTED} now"),
        ("Lovelace, Ada asked for a demo", f"{REDACTED} asked for a demo"),
        ("Ada called about 415-555-0199", "Ada called about 415-555-0199"),
        ("Call Bob Builder", "Call Bob Builder"),
    ],
)
def test_a_redactor_removes_the_persons_email_phone_and_full_name(text: str, expected: str) -> None:
    assert redactor_for([ADA])(text) == expected


def test_a_redactor_also_removes_the_identifier_asked_for() -> None:
    redact = redactor_for([], extra=["someone@example.com", "+442079460000"])
    assert redact("someone@example.com / 020 7946 0000") == f"{REDACTED} / {REDACTED}"


def test_an_empty_redactor_is_falsy_and_changes_nothing() -> None:
    redact = redactor_for([{"first_name": "Al", "last_name": None}])
    assert not redact
    assert redact("Al rang") == "Al rang"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "INVALID_FIELD: bad value ada@example.com for Email",
            "INVALID_FIELD: bad value [email] for Email",
        ),
        ("duplicate of +1 415 555 0101 found", "duplicate of [phone] found"),
        (
            "report 00O000000000001AAA failed after 2000 rows",
            "report 00O000000000001AAA failed after 2000 rows",
        ),
        ("HTTP 503 at 12:00", "HTTP 503 at 12:00"),
    ],
)
def test_scrub_contacts_replaces_emails_and_phone_numbers(text: str, expected: str) -> None:
    assert scrub_contacts(text) == expected
