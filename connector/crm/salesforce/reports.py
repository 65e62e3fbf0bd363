"""Pure helpers for the Analytics (reports) API: run bodies and factMap decoding.

Reports return at most 2,000 detail rows per run and offer no offset. We page with a keyset:
sort by the record-id column and add a `greaterThan <last id>` filter, leaving the saved
report's own filters in force (and referenced in its boolean logic, as Salesforce requires).
Only the requested columns are ever asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

MAX_ROWS_PER_RUN = 2000
MAX_FILTERS = 20  # custom filters one run may carry; paging needs one of them


def run_body(
    saved: Mapping[str, Any],
    id_column: str,
    columns: Sequence[str],
    after: str | None,
) -> dict[str, Any]:
    """The `reportMetadata` override for one page: our columns, id order, after `after`."""
    filters = [dict(f) for f in saved.get("reportFilters") or []]
    logic = saved.get("reportBooleanFilter")
    if after is not None:
        filters.append({"column": id_column, "operator": "greaterThan", "value": after})
        if logic:
            logic = f"({logic}) AND {len(filters)}"
    body: dict[str, Any] = {
        "reportFormat": "TABULAR",
        "detailColumns": list(columns),
        "reportFilters": filters,
        "sortBy": [{"sortColumn": id_column, "sortOrder": "Asc"}],
    }
    if logic:
        body["reportBooleanFilter"] = logic
    return {"reportMetadata": body}


def has_id(row: Mapping[str, Any], id_column: str) -> bool:
    """Whether the row holds a record id (rows without one are rejected one by one later)."""
    value = row.get(id_column)
    return isinstance(value, str) and bool(value.strip())


def keyset_problem(
    rows: Sequence[Mapping[str, Any]], id_column: str, after: str | None, *, done: bool = True
) -> str | None:
    """Why a page cannot continue the keyset, or None when its ids strictly increase past `after`.

    Paging and reconciliation rely on the CRM sorting and filtering the id column in the
    same (binary) order; a page that breaks it would otherwise lose or repeat rows silently.
    Rows without an id take no part in the order (the mapping rejects each of them), but a
    page that is not the last must hold at least one id to move the keyset past it.
    """
    previous = after
    for row in rows:
        if not has_id(row, id_column):
            continue
        current = row[id_column]
        if previous is not None and not current > previous:
            return (
                f"rows are not in strictly increasing {id_column} order "
                f"({current!r} came after {previous!r})"
            )
        previous = current
    if not done and rows and previous == after:
        return f"a whole page has no value in the id column {id_column}, so paging cannot pass it"
    return None


def page_cursor(rows: Sequence[Mapping[str, Any]], id_column: str, after: str | None) -> str | None:
    """The last id of the page: where the next page starts (`after` when it holds none)."""
    ids = [str(row[id_column]) for row in rows if has_id(row, id_column)]
    return ids[-1] if ids else after


# The structs below name their fields as Salesforce does (camelCase) so that they decode
# without renaming.


class Cell(msgspec.Struct):
    """A detail cell: only its `value` is read (its `label`, the value as the org displays
    it, is skipped unread)."""

    value: Any = None


class DetailRow(msgspec.Struct):
    dataCells: list[Cell] | None = None


class Aggregate(msgspec.Struct):
    value: Any = None


class Fact(msgspec.Struct):
    """One fact-map entry: a grouping's detail rows and its aggregates."""

    rows: list[DetailRow] | None = None
    aggregates: list[Aggregate] | None = None


class AnswerMetadata(msgspec.Struct, frozen=True):
    detailColumns: list[Any] | None = None


class AnswerAttributes(msgspec.Struct, frozen=True):
    status: Any = None


class ReportAnswer(msgspec.Struct):
    """The parts of a report run's answer (synchronous, or an asynchronous instance's result)
    that the pull reads; the rest of the answer is skipped unread.

    Decoded straight from the body (`ANSWER.decode`), a 2,000-row page costs about half of
    parsing it whole and then picking the values out. A part of the wrong type (a row that is
    not an object, rows that are not a list) raises `msgspec.ValidationError`; null stands
    for an absent part anywhere.
    """

    reportMetadata: AnswerMetadata | None = None
    factMap: dict[str, Fact | None] | None = None
    allData: Any = True
    attributes: AnswerAttributes | None = None


#: Decodes a report run's answer from its body.
ANSWER = msgspec.json.Decoder(ReportAnswer)
_NO_FACT = Fact()
_NO_METADATA = AnswerMetadata()


def answer_from(value: Mapping[str, Any]) -> ReportAnswer:
    """A report run's answer from its parsed JSON (for callers holding a dict already)."""
    return msgspec.convert(value, ReportAnswer)


def cell_value(cell: Cell) -> Any:
    """The raw value of a report cell (currency objects give their amount)."""
    return plain_value(cell.value)


def plain_value(value: Any) -> Any:
    """A cell's `value` as a plain value: a currency object gives its amount."""
    if isinstance(value, dict):
        return value.get("amount", value.get("value"))
    return value


def answer_problem(answer: ReportAnswer, columns: Sequence[str]) -> str | None:
    """Why a run's answer cannot be read as `columns`, or None when it holds all of them.

    A requested column the CRM leaves out (field-level security, a changed report type) must
    never read as empty cells: that would blank the field for every row of the report.
    """
    listed = (answer.reportMetadata or _NO_METADATA).detailColumns
    answered = [str(name) for name in (columns if listed is None else listed)]
    shape = f"the answer's detailColumns are {', '.join(answered) or '(none)'}"
    missing = [name for name in columns if name not in answered]
    if missing:
        return f"requested column {', '.join(missing)} is missing from the CRM's answer ({shape})"
    fact_map = answer.factMap or {}
    for key in detail_keys(fact_map):
        for row in (fact_map.get(key) or _NO_FACT).rows or []:
            cells = row.dataCells or []
            if len(cells) != len(answered):
                return f"a row has {len(cells)} cells for {len(answered)} columns ({shape})"
    return None


def detail_keys(fact_map: Mapping[str, Fact | None]) -> list[str]:
    """The fact-map keys holding detail rows, in grouping order.

    Tabular runs keep them under ``T!T``; summary runs under each grouping's ``<g>!T``
    (``0!T``, ``1_0!T``, ...), with ``T!T`` holding only the grand total.
    """
    grouped = [
        key
        for key in fact_map
        if key != "T!T" and key.endswith("!T") and (fact_map[key] or _NO_FACT).rows
    ]
    if not grouped:
        return ["T!T"] if "T!T" in fact_map else []
    return sorted(grouped, key=lambda key: [int(p) for p in key[:-2].split("_") if p.isdigit()])


def is_grouped(answer: ReportAnswer) -> bool:
    """True when the run's detail rows are spread over groupings (a summary run)."""
    return detail_keys(answer.factMap or {}) not in ([], ["T!T"])


def is_all_data(answer: ReportAnswer) -> bool:
    """Whether the run returned every row the report holds (no further page)."""
    return bool(answer.allData)


def decode_rows(answer: ReportAnswer, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of a run as column -> value, keeping only `columns`, across every grouping."""
    order: list[str] = list((answer.reportMetadata or _NO_METADATA).detailColumns or columns)
    wanted = set(columns)
    fact_map = answer.factMap or {}
    raw = [row for key in detail_keys(fact_map) for row in (fact_map[key] or _NO_FACT).rows or []]
    picks = [(index, name) for index, name in enumerate(order) if name in wanted]
    rows: list[dict[str, Any]] = []
    for row in raw:
        cells = row.dataCells or []
        if len(cells) >= len(order):  # the usual case: every column has its cell
            # `cell_value` inline: a plain value as it is, only a currency object goes through
            values = {name: cells[index].value for index, name in picks}
            for name, value in values.items():
                if value.__class__ is dict:
                    values[name] = plain_value(value)
            rows.append(values)
        else:
            present = len(cells)
            rows.append(
                {name: cell_value(cells[index]) for index, name in picks if index < present}
            )
    return rows


def total_rows(answer: ReportAnswer) -> int | None:
    """The report's row count for the whole filtered result (the grand-total aggregate)."""
    fact = (answer.factMap or {}).get("T!T") or _NO_FACT
    aggregates = fact.aggregates or []
    if aggregates and isinstance(aggregates[0].value, int | float):
        return int(aggregates[0].value)
    return None


def column_types(describe: Mapping[str, Any]) -> dict[str, str]:
    """Column name -> dataType for every detail column a report describes."""
    info = (describe.get("reportExtendedMetadata") or {}).get("detailColumnInfo") or {}
    types = {name: str(meta.get("dataType", "string")) for name, meta in info.items()}
    for category in (describe.get("reportTypeMetadata") or {}).get("categories") or []:
        for name, meta in (category.get("columns") or {}).items():
            types.setdefault(name, str(meta.get("dataType", "string")))
    return types


def column_info(describe: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(name, label, dataType) of every column a report describes: its detail columns first,
    then the other columns of its report type."""
    info = (describe.get("reportExtendedMetadata") or {}).get("detailColumnInfo") or {}
    found = {name: _label_and_type(name, meta) for name, meta in info.items()}
    for category in (describe.get("reportTypeMetadata") or {}).get("categories") or []:
        for name, meta in (category.get("columns") or {}).items():
            found.setdefault(name, _label_and_type(name, meta))
    return [(name, label, data_type) for name, (label, data_type) in found.items()]


def _label_and_type(name: str, meta: Mapping[str, Any]) -> tuple[str, str]:
    return str(meta.get("label") or name), str(meta.get("dataType", "string"))


def report_shape(describe: Mapping[str, Any]) -> tuple[str, int, int | None]:
    """(format, custom filter count, row limit or None) from a report's describe."""
    metadata = describe.get("reportMetadata") or {}
    report_format = str(metadata.get("reportFormat") or "TABULAR").lower()
    filters = len(metadata.get("reportFilters") or [])
    top = metadata.get("topRows")
    limit = top.get("rowLimit") if isinstance(top, Mapping) else None
    return report_format, filters, int(limit) if isinstance(limit, int | float) else None
