"""Report filters and filter logic, as the Analytics API applies them (pure functions).

Operators: equals, notEqual, lessThan, greaterThan, lessOrEqual, greaterOrEqual, contains,
notContain, startsWith. ``equals``/``notEqual`` accept comma-separated alternatives; an empty
value means "blank". Text compares case-insensitively; the id column compares exactly, as
strings, which is what makes ``CONTACT_ID greaterThan <last id>`` a sound keyset cursor.
Filter logic (``reportBooleanFilter``) such as ``(1 OR 2) AND NOT 3`` must reference every
filter and no other.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector.sandbox.errors import ApiError
from connector.sandbox.formats import parse_datetime
from connector.sandbox.ids import normalize_id
from connector.sandbox.reports import COLUMNS, ReportColumn

OPERATORS = frozenset(
    {
        "equals",
        "notEqual",
        "lessThan",
        "greaterThan",
        "lessOrEqual",
        "greaterOrEqual",
        "contains",
        "notContain",
        "startsWith",
    }
)
RANGE_OPERATORS = frozenset({"lessThan", "greaterThan", "lessOrEqual", "greaterOrEqual"})
ValueTest = Callable[[Any], bool]


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BAD_REQUEST", message)


def column(name: Any) -> ReportColumn:
    """The report-type column `name`; 400 BAD_REQUEST naming it when unknown."""
    found = COLUMNS.get(name) if isinstance(name, str) else None
    if found is None:
        raise bad_request(f"The column '{name}' is not valid for this report type.")
    return found


@dataclass(frozen=True)
class ReportFilter:
    """One validated filter: column, operator and raw value."""

    column: ReportColumn
    operator: str
    value: str

    @classmethod
    def from_json(cls, data: Any) -> ReportFilter:
        if not isinstance(data, dict):
            raise bad_request("Each report filter must be an object.")
        col = column(data.get("column"))
        operator = data.get("operator")
        if operator not in OPERATORS:
            raise bad_request(f"The filter operator '{operator}' is not valid.")
        value = data.get("value")
        return cls(col, operator, "" if value is None else str(value))

    def test(self) -> ValueTest:
        """A predicate over the stored value of this filter's column."""
        return value_test(self.column.data_type, self.operator, self.value)


def value_test(data_type: str, operator: str, raw: str) -> ValueTest:
    """Build the predicate for one filter on a column of `data_type`."""
    if operator in ("equals", "notEqual"):
        options = [part.strip() for part in raw.split(",")] if raw else [""]
        keys = {_typed(data_type, part) if part else None for part in options}
        matches = (lambda v: _key(data_type, v) in keys) if keys else (lambda v: False)
        if operator == "equals":
            return matches
        return lambda v: not matches(v)
    if operator in ("contains", "notContain", "startsWith"):
        needle = raw.casefold()
        if operator == "contains":
            return lambda v: v is not None and needle in _text(v).casefold()
        if operator == "notContain":
            return lambda v: v is None or needle not in _text(v).casefold()
        return lambda v: v is not None and _text(v).casefold().startswith(needle)
    bound = _typed(data_type, raw)
    compare = _RANGE[operator]
    return lambda v: v is not None and bound is not None and compare(_key(data_type, v), bound)


_RANGE: dict[str, Callable[[Any, Any], bool]] = {
    "lessThan": lambda a, b: a < b,
    "greaterThan": lambda a, b: a > b,
    "lessOrEqual": lambda a, b: a <= b,
    "greaterOrEqual": lambda a, b: a >= b,
}


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _key(data_type: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if data_type == "id":
        return value
    if data_type in ("date", "datetime"):
        return value
    return str(value).casefold()


def _typed(data_type: str, raw: str) -> Any:
    """The filter value converted to the column's comparison key."""
    if raw == "":
        return None
    try:
        if data_type == "date":
            return dt.date.fromisoformat(raw[:10])
        if data_type == "datetime":
            return parse_datetime(raw)
    except ValueError as exc:
        raise bad_request(f"The filter value '{raw}' is not a valid {data_type}.") from exc
    if data_type == "id":
        return normalize_id(raw)
    return raw.casefold()


# -- filter logic ---------------------------------------------------------------------------
Logic = Callable[[list[bool]], bool]
_LOGIC_TOKEN = re.compile(r"\s*(?:(\d+)|(AND|OR|NOT)\b|([()]))", re.IGNORECASE)


@dataclass(frozen=True)
class FilterLogic:
    """Parsed ``reportBooleanFilter``: an evaluator, the filter numbers used, and whether it is
    a plain conjunction (which lets the runner take the fast keyset path)."""

    evaluate: Logic
    referenced: frozenset[int]
    only_and: bool


def parse_logic(text: str, filter_count: int) -> FilterLogic:
    """Parse filter logic and check it references filters 1..filter_count exactly."""
    tokens = _logic_tokens(text)
    parser = _LogicParser(tokens, text)
    evaluate = parser.expression()
    if parser.index != len(tokens):
        raise bad_request(f"The filter logic '{text}' is not valid.")
    undefined = sorted(n for n in parser.numbers if not 1 <= n <= filter_count)
    if undefined:
        raise bad_request(f"The filter logic references an undefined filter: {undefined[0]}.")
    if len(parser.numbers) != filter_count:
        raise bad_request(
            "Some filter conditions are defined but not referenced in your filter logic."
        )
    only_and = not any(kind in ("OR", "NOT") for kind, _ in tokens)
    return FilterLogic(evaluate, frozenset(parser.numbers), only_and)


def _logic_tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _LOGIC_TOKEN.match(stripped, position)
        if match is None:
            raise bad_request(f"The filter logic '{text}' is not valid.")
        number, word, paren = match.groups()
        if number:
            tokens.append(("NUM", number))
        elif word:
            tokens.append((word.upper(), word))
        else:
            tokens.append((paren, paren))
        position = match.end()
    return tokens


class _LogicParser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.index = 0
        self.numbers: set[int] = set()

    def _peek(self) -> str | None:
        return self.tokens[self.index][0] if self.index < len(self.tokens) else None

    def expression(self) -> Logic:
        left = self.conjunction()
        while self._peek() == "OR":
            self.index += 1
            right = self.conjunction()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    def conjunction(self) -> Logic:
        left = self.unary()
        while self._peek() == "AND":
            self.index += 1
            right = self.unary()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def unary(self) -> Logic:
        kind = self._peek()
        if kind == "NOT":
            self.index += 1
            inner = self.unary()
            return lambda r: not inner(r)
        if kind == "(":
            self.index += 1
            inner = self.expression()
            if self._peek() != ")":
                raise bad_request(f"The filter logic '{self.text}' is not valid.")
            self.index += 1
            return inner
        if kind == "NUM":
            number = int(self.tokens[self.index][1])
            self.index += 1
            self.numbers.add(number)
            return lambda r: r[number - 1]
        raise bad_request(f"The filter logic '{self.text}' is not valid.")
