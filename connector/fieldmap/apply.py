"""Map one report row to the store's prospect fields, or reject it with reasons.

Pure and total: a row yields a `MappedRow` holding exactly the mapped store fields, or a
`Reject` naming every field that failed. Columns that are not mapped are never read, so
nothing beyond the map reaches the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from connector.fieldmap.model import FieldMap, FieldSpec
from connector.fieldmap.transforms import (
    Invalid,
    apply_transform,
    clean_text,
    get_transform,
    run_transform,
)


@dataclass(frozen=True)
class MappedRow:
    """A prospect ready for the store: its CRM record id and one value per mapped field."""

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


def apply_map(field_map: FieldMap, row: Mapping[str, Any]) -> MappedRow | Reject:
    """Map a report row (column -> raw cell) through `field_map`.

    Returns a MappedRow whose `fields` keys are exactly the mapped store fields, or a Reject
    when the record id is missing or any field fails. Raises nothing for bad data.
    """
    id_column = field_map.prospect.id
    raw_id = cell_text(row.get(id_column))
    crm_id = clean_text(raw_id) if isinstance(raw_id, str) else None
    if crm_id is None or " " in crm_id:
        return Reject(None, [f"column {id_column!r} (prospect.id) holds no CRM record id"])
    fields: dict[str, str | None] = {}
    reasons: list[str] = []
    for name, spec in field_map.prospect.fields.items():
        value = map_field(spec, row)
        if isinstance(value, Invalid):
            reasons.append(f"{_describe(name, spec)}: {value.reason}")
        else:
            fields[name] = value
    return Reject(crm_id, reasons) if reasons else MappedRow(crm_id, fields)


def requested_columns(field_map: FieldMap) -> list[str]:
    """The report columns to request: the id column, then each mapped column once, in map order.

    Nothing else is ever requested, so unmapped personal data never leaves the CRM.
    """
    columns = [field_map.prospect.id]
    for spec in field_map.prospect.fields.values():
        if spec.column is not None and spec.column not in columns:
            columns.append(spec.column)
    return columns
