"""Map one report row to the store's prospect fields, or reject it with reasons.

Pure and total: a row yields a `MappedRow` holding exactly the mapped store fields, or a
`Reject` naming every field that failed. Columns that are not mapped are never read, so
nothing beyond the map reaches the store.

A pull maps every row of every page, so the map is compiled once (`compile_map`) into one
function per field with its column, transform, options and reject wording already looked
up; `map_field` is the same rule spelled out for one field, and a property test holds the two
to the same answers. Phone numbers, the costly transform, are remembered per compiled map
(one map per customer), never across customers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from typing import Any, NamedTuple

from connector.fieldmap.model import FieldMap, FieldSpec
from connector.fieldmap.transforms import (
    Invalid,
    Result,
    TransformFunc,
    apply_transform,
    clean_text,
    get_transform,
    run_transform,
)

#: How many distinct numbers a compiled map remembers per phone field.
PHONE_MEMO_SIZE = 65_536


class MappedRow(NamedTuple):
    """A prospect ready for the store: its CRM record id and one value per mapped field.

    (A named tuple rather than a frozen dataclass: one is made per row, and this is cheaper.)
    """

    crm_id: str
    fields: dict[str, str | None]


@dataclass(frozen=True)
class Reject:
    """A row that cannot be stored, with one reason per failing field (or the missing id)."""

    crm_id: str | None
    reasons: list[str]


def cell_text(raw: Any) -> str | Invalid:
    """A report cell as text: None is empty, numbers and dates are written plainly."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, int | float | Decimal):
        return str(raw)
    if isinstance(raw, datetime | date | time):
        return raw.isoformat()
    return Invalid(f"cell holds a {type(raw).__name__}, expected text, a number or a date")


def map_field(spec: FieldSpec, row: Mapping[str, Any]) -> str | Invalid | None:
    """The stored value of one field: `default` for an empty cell, else the transformed cell;
    then `required` is checked. A column missing from the row counts as an empty cell.
    """
    value: str | Invalid | None = spec.default
    if spec.column is None:
        value = run_transform(spec.transform, "", spec)
    else:
        text = cell_text(row.get(spec.column))
        if isinstance(text, Invalid):
            return text
        cleaned = clean_text(text)
        if cleaned is not None:
            value = apply_transform(get_transform(spec.transform), cleaned, spec)
    if isinstance(value, Invalid):
        return value
    if value is None and spec.required:
        return Invalid("required but empty")
    return value


def _describe(name: str, spec: FieldSpec) -> str:
    source = f"column {spec.column!r}" if spec.column is not None else "constant"
    return f"field {name!r} ({source})"


FieldFunc = Callable[[Mapping[str, Any]], Result]
RowMapper = Callable[[Mapping[str, Any]], "MappedRow | Reject"]


def _memoized(func: TransformFunc, size: int) -> TransformFunc:
    """`func` remembering its last `size` distinct texts (the options are the field's own,
    fixed for the compiled map); the oldest is forgotten first."""
    memo: dict[str, Result] = {}

    def remembered(text: str, options: Any) -> Result:
        try:
            return memo[text]
        except KeyError:
            pass
        result = func(text, options)
        if len(memo) >= size:
            del memo[next(iter(memo))]
        memo[text] = result
        return result

    return remembered


def compile_field(spec: FieldSpec) -> FieldFunc:
    """`map_field(spec, row)` as a function of the row alone, for mapping many rows."""
    if spec.column is None:
        constant = map_field(spec, {})
        return lambda row: constant
    column, default, required = spec.column, spec.default, spec.required
    transform = get_transform(spec.transform)
    func = transform.func
    if transform.name == "phone":
        func = _memoized(func, PHONE_MEMO_SIZE)
    plain = transform.name == "trim"  # trim of a cleaned cell is the cleaned cell
    required_but_empty = Invalid("required but empty")
    empty: Result = required_but_empty if default is None and required else default

    def field(row: Mapping[str, Any]) -> Result:
        raw = row.get(column)
        if raw.__class__ is not str:
            raw = cell_text(raw)
            if isinstance(raw, Invalid):
                return raw
        cleaned = clean_text(raw)
        if cleaned is None:
            return empty
        if plain:
            return cleaned
        value = func(cleaned, spec)
        if value is not cleaned and value.__class__ is str:
            value = clean_text(value)
        if value is None and required:
            return required_but_empty
        return value

    if plain:

        def text_field(row: Mapping[str, Any]) -> Result:
            raw = row.get(column)
            if raw.__class__ is str and raw.isprintable():  # `clean_text`'s own fast path
                return " ".join(raw.split()) or empty
            return field(row)

        return text_field
    return field


def compile_map(field_map: FieldMap) -> RowMapper:
    """`apply_map(field_map, row)` as a function of the row alone: each field compiled once.

    The compiled map is kept on `field_map`, so compiling again returns the same function
    (and the same remembered phone numbers).
    """
    compiled = field_map._row_mapper
    if compiled is not None:
        return compiled
    id_column = field_map.prospect.id
    no_id = f"column {id_column!r} (prospect.id) holds no CRM record id"
    fields = [
        (name, f"{_describe(name, spec)}: ", compile_field(spec))
        for name, spec in field_map.prospect.fields.items()
    ]

    def mapper(row: Mapping[str, Any]) -> MappedRow | Reject:
        raw_id = row.get(id_column)
        if raw_id.__class__ is not str:
            raw_id = cell_text(raw_id)
        crm_id = clean_text(raw_id) if isinstance(raw_id, str) else None
        if crm_id is None or " " in crm_id:
            return Reject(None, [no_id])
        values: dict[str, str | None] = {}
        reasons: list[str] = []
        for name, prefix, field in fields:
            value = field(row)
            if value.__class__ is Invalid:
                reasons.append(prefix + value.reason)
            else:
                values[name] = value  # type: ignore[assignment]
        return Reject(crm_id, reasons) if reasons else MappedRow(crm_id, values)

    field_map._row_mapper = mapper
    return mapper


def apply_map(field_map: FieldMap, row: Mapping[str, Any]) -> MappedRow | Reject:
    """Map a report row (column -> raw cell) through `field_map`.

    Returns a MappedRow whose `fields` keys are exactly the mapped store fields, or a Reject
    when the record id is missing or any field fails. Raises nothing for bad data.
    """
    return compile_map(field_map)(row)


def requested_columns(field_map: FieldMap) -> list[str]:
    """The report columns to request: the id column, then each mapped column once, in map order.

    Nothing else is ever requested, so unmapped personal data never leaves the CRM.
    """
    columns = [field_map.prospect.id]
    for spec in field_map.prospect.fields.values():
        if spec.column is not None and spec.column not in columns:
            columns.append(spec.column)
    return columns


def preview_rows(
    field_map: FieldMap, rows: Iterable[Mapping[str, Any]], limit: int
) -> list[tuple[str, tuple[str, ...], str]]:
    """The first `limit` rows as a preview shows them: (crm id, one value per mapped field in
    map order, "ok" or the reject reasons); a rejected row shows no values."""
    fields = tuple(field_map.prospect.fields)
    shown = []
    for row in islice(rows, limit):
        result = apply_map(field_map, row)
        if isinstance(result, MappedRow):
            values = tuple(result.fields.get(name) or "" for name in fields)
            shown.append((result.crm_id, values, "ok"))
        else:
            blank = tuple("" for _ in fields)
            shown.append((result.crm_id or "?", blank, "; ".join(result.reasons)))
    return shown
