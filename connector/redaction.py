"""Redacting personal data from free text (pure).

Two tools:

- `scrub_contacts(text)`: any email address or phone number in `text` becomes `[email]` or
  `[phone]`. Used on error messages before they are stored (a CRM error may quote a record).
- `Redactor`: one person's email, phone numbers and full name, found in other rows' free text
  (activity subjects, run errors, reject reasons) and replaced by `[redacted]` when the person
  is forgotten. Matching ignores case; a phone number matches however it is written
  (`+1 (415) 555-0101`, `415.555.0101`), by its national digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import phonenumbers

REDACTED = "[redacted]"
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[A-Za-z0-9-]+")
_PHONE_RUN = re.compile(r"(?<![A-Za-z0-9])\+?\(?\d[\d\s().-]{5,}\d(?![A-Za-z0-9])")
_MIN_DIGITS = 7
_MIN_NAME = 3


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def scrub_contacts(text: str) -> str:
    """`text` with every email address and phone-like number (7+ digits) replaced."""
    text = _EMAIL.sub("[email]", text)
    return _PHONE_RUN.sub(
        lambda m: "[phone]" if len(_digits(m.group())) >= _MIN_DIGITS else m.group(), text
    )


def national_digits(phone: str) -> str | None:
    """The national significant digits of an E.164 (or `+`-prefixed) number, else its digits."""
    try:
        number = phonenumbers.parse(phone, None)
        national = str(number.national_number)
    except phonenumbers.NumberParseException:
        national = _digits(phone)
    return national if len(national) >= _MIN_DIGITS else None


@dataclass(frozen=True)
class Redactor:
    """Finds one or more people's identifiers in free text and replaces them."""

    texts: tuple[str, ...]
    phones: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.texts or self.phones)

    def __call__(self, text: str) -> str:
        """`text` with every known identifier replaced by `[redacted]`."""
        for needle in self.texts:
            text = re.sub(re.escape(needle), REDACTED, text, flags=re.IGNORECASE)
        if self.phones:
            text = _PHONE_RUN.sub(self._phone, text)
        return text

    def _phone(self, match: re.Match[str]) -> str:
        digits = _digits(match.group())
        if any(digits.endswith(national) for national in self.phones):
            return REDACTED
        return match.group()


def redactor_for(people: Iterable[Mapping[str, str | None]], extra: Iterable[str] = ()) -> Redactor:
    """A redactor of the people's emails, phones and full names (plus `extra` identifiers).

    Each person is a mapping of store fields (email, phone, mobile_phone, first_name,
    last_name, full_name); a first or last name alone is not redacted (too common to tell).
    """
    texts: set[str] = set()
    phones: set[str] = set()
    for value in extra:
        (phones if value.startswith("+") else texts).add(value)
    for person in people:
        for key in ("email", "full_name"):
            if person.get(key):
                texts.add(str(person[key]))
        first, last = person.get("first_name"), person.get("last_name")
        if first and last:
            texts.add(f"{first} {last}")
            texts.add(f"{last}, {first}")
        for key in ("phone", "mobile_phone"):
            if person.get(key):
                phones.add(str(person[key]))
    ordered = sorted((t.strip() for t in texts if len(t.strip()) >= _MIN_NAME), key=len)
    nationals = {n for n in (national_digits(p) for p in phones) if n}
    return Redactor(tuple(reversed(ordered)), frozenset(nationals))
