"""Pure helpers for the Analytics (reports) API: run bodies and factMap decoding.

Reports return at most 2,000 detail rows per run and offer no offset. We page with a keyset:
sort by the record-id column and add a `greaterThan <last id>` filter, leaving the saved
report's own filters in force (and referenced in its boolean logic, as Salesforce requires).
Only the requested columns are ever asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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


def keyset_problem(
    rows: Sequence[Mapping[str, Any]], id_column: str, after: str | None
) -> str | None:
    """Why a page cannot continue the keyset, or None when its ids strictly increase past `after`.

    Paging and reconciliation rely on the CRM sorting and filtering the id column in the
    same (binary) order; a page that breaks it would otherwise lose or repeat rows silently.
    """
    previous = after
    for row in rows:
        current = row.get(id_column)
        if not isinstance(current, str) or not current:
            return f"a row has no value in the id column {id_column}"
        if previous is not None and not current > previous:
            return (
                f"rows are not in strictly increasing {id_column} order "
                f"({current!r} came after {previous!r})"
            )
        previous = current
    return None


def cell_value(cell: Mapping[str, Any]) -> Any:
    """The raw value of a report cell (currency objects give their amount)."""
    value = cell.get("value")
    if isinstance(value, dict):
        return value.get("amount", value.get("value"))
    return value


def detail_keys(fact_map: Mapping[str, Any]) -> list[str]:
    """The fact-map keys holding detail rows, in grouping order.

    Tabular runs keep them under ``T!T``; summary runs under each grouping's ``<g>!T``
    (``0!T``, ``1_0!T``, ...), with ``T!T`` holding only the grand total.
    """
    grouped = [
        key
        for key in fact_map
        if key != "T!T" and key.endswith("!T") and (fact_map[key] or {}).get("rows")
    ]
    if not grouped:
        return ["T!T"] if "T!T" in fact_map else []
    return sorted(grouped, key=lambda key: [int(p) for p in key[:-2].split("_") if p.isdigit()])


def is_grouped(result: Mapping[str, Any]) -> bool:
    """True when the run's detail rows are spread over groupings (a summary run)."""
    return detail_keys(result.get("factMap") or {}) not in ([], ["T!T"])


def decode_rows(result: Mapping[str, Any], columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of a run as column -> value, keeping only `columns`, across every grouping."""
    metadata = result.get("reportMetadata") or {}
    order: list[str] = list(metadata.get("detailColumns") or columns)
    wanted = set(columns)
    fact_map = result.get("factMap") or {}
    raw = [row for key in detail_keys(fact_map) for row in (fact_map[key] or {}).get("rows") or []]
    rows: list[dict[str, Any]] = []
    for row in raw:
        cells = row.get("dataCells") or []
        rows.append(
            {
                name: cell_value(cell)
                for name, cell in zip(order, cells, strict=False)
                if name in wanted
            }
        )
    return rows


def total_rows(result: Mapping[str, Any]) -> int | None:
    """The report's row count for the whole filtered result (the grand-total aggregate)."""
    fact = (result.get("factMap") or {}).get("T!T") or {}
    aggregates = fact.get("aggregates") or []
    if aggregates and isinstance(aggregates[0].get("value"), int | float):
        return int(aggregates[0]["value"])
    return None


def column_types(describe: Mapping[str, Any]) -> dict[str, str]:
    """Column name -> dataType for every detail column a report describes."""
    info = (describe.get("reportExtendedMetadata") or {}).get("detailColumnInfo") or {}
    types = {name: str(meta.get("dataType", "string")) for name, meta in info.items()}
    for category in (describe.get("reportTypeMetadata") or {}).get("categories") or []:
        for name, meta in (category.get("columns") or {}).items():
            types.setdefault(name, str(meta.get("dataType", "string")))
    return types


def report_shape(describe: Mapping[str, Any]) -> tuple[str, int, int | None]:
    """(format, custom filter count, row limit or None) from a report's describe."""
    metadata = describe.get("reportMetadata") or {}
    report_format = str(metadata.get("reportFormat") or "TABULAR").lower()
    filters = len(metadata.get("reportFilters") or [])
    top = metadata.get("topRows")
    limit = top.get("rowLimit") if isinstance(top, Mapping) else None
    return report_format, filters, int(limit) if isinstance(limit, int | float) else None
