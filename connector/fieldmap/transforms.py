"""The transforms a field map can apply to a report cell, as a registry of pure functions.

Every transform receives a cell that `trim` already cleaned (never empty) and the field's
options, and returns the stored text, None (empty) or `Invalid(reason)`. Bad data is a value,
never an exception: a failing transform makes the row a reject with a reason, and only
programming errors raise. `TRANSFORMS` lists them; `get_transform` names the known ones when
asked for an unknown one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from connector.fieldmap.fields import unknown_name
from connector.fieldmap.personnames import split_full_name
from connector.fieldmap.phone_validity import code_validity
from connector.fieldmap.timestamps import parse_date, parse_datetime, to_utc_text, zone


@dataclass(frozen=True)
class Invalid:
    """A cell a transform cannot accept; `reason` says why without echoing personal data."""

    reason: str


class TransformOptions(Protocol):
    """The per-field options a transform may read (a `FieldSpec` provides them)."""

    @property
    def region(self) -> str | None: ...
    @property
    def format(self) -> str | None: ...
    @property
    def timezone(self) -> str | None: ...
    @property
    def values(self) -> Mapping[str, str | None] | None: ...
    @property
    def value(self) -> str | None: ...
    @property
    def default(self) -> str | None: ...


Result = str | None | Invalid
TransformFunc = Callable[[str, TransformOptions], Result]


@dataclass(frozen=True)
class Transform:
    """A registered transform: its function, the options it reads, and whether it needs a column."""

    name: str
    func: TransformFunc
    summary: str
    options: frozenset[str] = frozenset()
    uses_column: bool = True


_UNPRINTABLE = frozenset({"Cc", "Cs", "Co", "Cn"})


def clean_text(raw: str) -> str | None:
    """Drop control and unpaired-surrogate characters, collapse whitespace; None when empty.

    The store's text columns cannot hold NUL or lone surrogates, so they never get that far.
    """
    if raw.isprintable():  # fast path: nothing to drop (the common case)
        return " ".join(raw.split()) or None
    kept = "".join(
        char for char in raw if char.isspace() or unicodedata.category(char) not in _UNPRINTABLE
    )
    return " ".join(kept.split()) or None


def _trim(text: str, options: TransformOptions) -> Result:
    return clean_text(text)


def _upper(text: str, options: TransformOptions) -> Result:
    return text.upper()


def _lower(text: str, options: TransformOptions) -> Result:
    return text.lower()


_WORD_START = re.compile(r"(^|[\s\-'\u2019.])([^\W\d_])")


def _title_word(word: str) -> str:
    if not (word.isupper() or word.islower()):
        return word  # mixed case such as "McDonald" or "iPhone" is kept as written
    return _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), word.lower())


def _title_case(text: str, options: TransformOptions) -> Result:
    return " ".join(_title_word(word) for word in text.split(" "))


#: Plain ASCII addresses that email-validator accepts unchanged but for the domain's case.
#: Anything else (Unicode, quoted local parts, IDNA labels, special-use domains) takes the
#: full check; a property test holds the fast path to email-validator's answer.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def plain_email(text: str) -> str | None:
    """The normalized form of a plain ASCII address, or None when it needs the full check
    (`text` itself when it is normalized already: a mapped field then need not clean it
    again)."""
    if len(text) > 254 or "--" in text or not _PLAIN_EMAIL.fullmatch(text):
        return None
    local, _, domain = text.rpartition("@")
    lowered = domain.lower()
    if len(local) > 64 or lowered.rsplit(".", 1)[-1] in SPECIAL_USE_DOMAIN_NAMES:
        return None
    return text if lowered == domain else f"{local}@{lowered}"


def _email(text: str, options: TransformOptions) -> Result:
    fast = plain_email(text)
    if fast is not None:
        return fast
    try:
        checked = validate_email(text, check_deliverability=False)
    except (EmailNotValidError, ValueError, UnicodeError):
        # the validator's message quotes parts of the address: personal data
        return Invalid("not a valid email address")
    local, _, domain = checked.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


def _phone(text: str, options: TransformOptions) -> Result:
    return _phone_e164(text, options.region)


#: A North American number written plainly: an optional +1 (or a bare 1), a three-digit area
#: code (in parentheses or not) and seven digits, in ASCII digits, with at most one space, dot
#: or hyphen between the groups. `phonenumbers.parse` reads such text as country code 1 and
#: those ten digits; anything else (extensions, letters, other spacing, other countries) takes
#: the full parse.
_PLAIN_NANP = re.compile(
    r"(?:(\+1|1)[ .-]?)?(?:\(([2-9]\d\d)\)|([2-9]\d\d))[ .-]?(\d{3})[ .-]?(\d{4})", re.ASCII
)
#: The regions of calling code 1, where a number written without +1 is read as one of code 1.
NANP_REGIONS = frozenset(phonenumbers.region_codes_for_country_code(1))
#: `phonenumbers.is_valid_number` for the plan's ten-digit national numbers, compiled once.
_VALID_IN_PLAN = code_validity(1, 10)


def plain_nanp(text: str, region: str | None) -> str | Invalid | None:
    """`_phone_e164`'s answer for a plainly written North American number without
    `phonenumbers.parse` (about 1 µs against 25-30 for a number of the United States), or
    None when the text needs the full parse. Property tests hold this shortcut to the
    library's answers."""
    match = _PLAIN_NANP.fullmatch(text)
    if match is None:
        return None
    prefix, bracketed, area, exchange, line = match.groups()
    if prefix != "+1" and region not in NANP_REGIONS:
        return None  # read in the region's own numbering plan, or not at all
    national = (bracketed or area) + exchange + line
    if _VALID_IN_PLAN(national):
        return "+1" + national
    return _not_valid(region)


def _not_valid(region: str | None) -> Invalid:
    where = f" for region {region}" if region else ""
    return Invalid(f"not a valid phone number{where}")


def _phone_e164(text: str, region: str | None) -> Result:
    """E.164 form of `text` (a compiled field map remembers the answers per customer:
    switchboard numbers repeat across many rows)."""
    plain = plain_nanp(text, region)
    return parsed_e164(text, region) if plain is None else plain


def parsed_e164(text: str, region: str | None) -> Result:
    """E.164 form of `text` as `phonenumbers` parses and validates it: the full path."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            return Invalid("phone number has no valid country code; write +<code> or set region")
        return Invalid("not a phone number")
    if not phonenumbers.is_valid_number(number):
        return _not_valid(region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _first_name(text: str, options: TransformOptions) -> Result:
    return split_full_name(text)[0]


def _last_name(text: str, options: TransformOptions) -> Result:
    return split_full_name(text)[1]


def _date(text: str, options: TransformOptions) -> Result:
    parsed = parse_date(text, options.format, zone(options.timezone))
    if parsed is None:
        return Invalid(_not_a("date", options.format))
    return parsed.isoformat()


def _datetime(text: str, options: TransformOptions) -> Result:
    parsed = parse_datetime(text, options.format, zone(options.timezone))
    utc = to_utc_text(parsed) if parsed is not None else None
    if utc is None:
        return Invalid(_not_a("date-time", options.format))
    return utc


def _not_a(kind: str, fmt: str | None) -> str:
    if fmt:
        return f"not a {kind} in format {fmt!r} or ISO 8601"
    return f"not an ISO 8601 {kind}; set `format` (e.g. '%m/%d/%Y') for report labels"


def _picklist(text: str, options: TransformOptions) -> Result:
    values = options.values or {}
    if text in values:
        return values[text]
    folded = {key.casefold(): mapped for key, mapped in values.items()}
    if text.casefold() in folded:
        return folded[text.casefold()]
    if options.default is not None:
        return options.default
    return Invalid("value is not in the picklist's `values` and there is no `default`")


def _constant(text: str, options: TransformOptions) -> Result:
    return options.value


_DATES = frozenset({"format", "timezone"})

TRANSFORMS: dict[str, Transform] = {
    t.name: t
    for t in (
        Transform("trim", _trim, "strip and collapse whitespace (applied to every cell)"),
        Transform("email", _email, "normalize an email address; invalid -> reject"),
        Transform("phone", _phone, "E.164 phone number; invalid -> reject", frozenset({"region"})),
        Transform("first_name", _first_name, "first name split from a full-name column"),
        Transform("last_name", _last_name, "last name split from a full-name column"),
        Transform("upper", _upper, "UPPER CASE"),
        Transform("lower", _lower, "lower case"),
        Transform("title_case", _title_case, "Title Case, keeping mixed-case words as written"),
        Transform("date", _date, "ISO date YYYY-MM-DD", _DATES),
        Transform("datetime", _datetime, "UTC date-time YYYY-MM-DDTHH:MM:SSZ", _DATES),
        Transform("picklist", _picklist, "CRM value -> ours via `values`", frozenset({"values"})),
        Transform("constant", _constant, "the fixed `value`", frozenset({"value"}), False),
    )
}


def get_transform(name: str) -> Transform:
    """The transform called `name`. Raises ValueError naming the known transforms if unknown."""
    try:
        return TRANSFORMS[name]
    except KeyError:
        raise ValueError(unknown_name("transform", name, TRANSFORMS)) from None


def run_transform(name: str, raw: str, options: TransformOptions) -> Result:
    """Clean `raw` with `trim`, then apply transform `name`; empty cells give None.

    Raises ValueError only for an unknown transform name (a programming error: the model
    validates names when the map is loaded).
    """
    transform = get_transform(name)
    if not transform.uses_column:
        return transform.func("", options)
    text = clean_text(raw)
    if text is None:
        return None
    return apply_transform(transform, text, options)


def apply_transform(transform: Transform, text: str, options: TransformOptions) -> Result:
    """Apply `transform` to text already cleaned by `clean_text` (never empty)."""
    result = transform.func(text, options)
    if result is text or not isinstance(result, str):
        return result
    return clean_text(result)
