"""Data subjects: who a privacy request is about, identified by email, phone or CRM id.

Pure. Identifiers are normalized the same way whether they come from an operator's command
line or from a stored or freshly mapped prospect row, so that a forgotten subject matches
however the CRM spells them: emails trimmed and lowercased, phones as E.164, CRM ids trimmed
and in their canonical 18-character spelling (Salesforce's 18-character ids ignore case).
Errors never repeat the identifier: it is personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import phonenumbers

from connector.crm.salesforce.ids import canonical_id
from connector.errors import ConfigError

SubjectKind = Literal["email", "phone", "crm_id"]
SUBJECT_KINDS: tuple[SubjectKind, ...] = ("email", "phone", "crm_id")

#: The store fields holding a phone number; each is checked against a forgotten phone.
PHONE_FIELDS: tuple[str, ...] = ("phone", "mobile_phone")

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normalize_email(text: str | None) -> str | None:
    """`text` trimmed and lowercased; None when empty or obviously not an address."""
    value = (text or "").strip().lower()
    return value if "@" in value else None


def normalize_phone(text: str | None, region: str | None = None) -> str | None:
    """`text` as an E.164 number (`+14155550100`); None when it cannot be read as one.

    Without `region`, only numbers written with their country code (`+…`) can be read.
    """
    value = (text or "").strip()
    if _E164.match(value):
        return value
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_crm_id(text: str | None) -> str | None:
    """A CRM record id, trimmed, in its one canonical spelling (a 15-character id, or an
    18-character one in any case, becomes the 18-character id Salesforce writes); None when
    empty or holding spaces."""
    value = (text or "").strip()
    return canonical_id(value) if value and " " not in value else None


@dataclass(frozen=True)
class Subject:
    """One data subject's identifier, normalized. `repr` hides the value."""

    kind: SubjectKind
    value: str

    def __repr__(self) -> str:
        return f"Subject(kind={self.kind!r}, value=***)"


def parse_subject(kind: str, raw: str, *, region: str | None = None) -> Subject:
    """The normalized subject for `raw` of `kind` (email | phone | crm_id).

    Raises ConfigError when `kind` is unknown or `raw` cannot be read as that kind (the
    message names the kind, never the value).
    """
    normalizers = {
        "email": normalize_email,
        "phone": lambda text: normalize_phone(text, region),
        "crm_id": normalize_crm_id,
    }
    if kind not in normalizers:
        raise ConfigError(f"unknown subject kind {kind!r}; use one of {', '.join(SUBJECT_KINDS)}")
    value = normalizers[kind](raw)
    if value is None:
        hint = " (write it with +country code, or give --region)" if kind == "phone" else ""
        raise ConfigError(f"the given {kind.replace('_', ' ')} is not a valid one{hint}")
    return Subject(kind, value)  # type: ignore[arg-type]


def row_subjects(
    crm_id: str | None, fields: Mapping[str, Any], region: str | None = None
) -> list[Subject]:
    """Every identifier of a prospect row (its CRM id, email and phones), normalized.

    `region` reads phones stored without a country code (E.164 ones need none)."""
    found: list[Subject] = []
    if (value := normalize_crm_id(crm_id)) is not None:
        found.append(Subject("crm_id", value))
    if (value := normalize_email(fields.get("email"))) is not None:
        found.append(Subject("email", value))
    for name in PHONE_FIELDS:
        if (value := normalize_phone(fields.get(name), region)) is not None:
            found.append(Subject("phone", value))
    return found


def matching_crm_ids(
    subject: Subject, rows: Iterable[Mapping[str, Any]], region: str | None = None
) -> set[str]:
    """The CRM ids of the prospect rows (dicts with `crm_id` and contact fields) `subject` matches.

    A CRM id always matches itself, even with no prospect row left (activities may outlive it).
    """
    matched = {subject.value} if subject.kind == "crm_id" else set()
    for row in rows:
        if subject in row_subjects(row.get("crm_id"), row, region):
            matched.add(row["crm_id"])
    return matched
