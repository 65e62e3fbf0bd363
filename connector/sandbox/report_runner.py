"""Describe and run tabular reports the way the Analytics REST API does.

A run applies the saved definition plus the request's overrides (detailColumns,
reportFilters, reportBooleanFilter, sortBy), returns at most 2,000 detail rows
(``allData`` false when truncated) and the RowCount of the *whole* filtered result.

Keyset paging (``sortBy CONTACT_ID`` + ``CONTACT_ID greaterThan <last id>``) costs O(page), not
O(report): members are a sorted array of contact row numbers; the rows passing the non-id
filters are computed once per (report, filters) over the immutable generated data and cached;
id bounds are bisected; rows that tests edited, deleted or added are corrected individually.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from connector.sandbox import report_formats
from connector.sandbox.formats import date_label, datetime_label, iso_z
from connector.sandbox.ids import normalize_id
from connector.sandbox.org import SandboxOrg
from connector.sandbox.report_filters import (
    RANGE_OPERATORS,
    FilterLogic,
    ReportFilter,
    bad_request,
    column,
    parse_logic,
)
from connector.sandbox.reports import (
    COLUMNS,
    ID_COLUMN,
    REPORT_TYPE_LABEL,
    Report,
    ReportColumn,
    position_after,
)
from connector.sandbox.tables import Row

ROW_LIMIT = 2000
MAX_FILTERS = 20
MAX_COLUMNS = 100
FORMATS = frozenset({"TABULAR", "SUMMARY", "MATRIX"})
Predicate = Callable[[Row], bool]


@dataclass(frozen=True)
class RunSpec:
    """The effective definition of one run: saved report plus overrides, validated."""

    detail_columns: list[str]
    filters: list[ReportFilter]
    boolean_filter: str | None
    logic: FilterLogic | None
    sort_by: list[dict[str, str]]
    metadata_overrides: dict[str, Any]
    report_format: str = "TABULAR"
    groupings_down: tuple[str, ...] = ()
    groupings_across: tuple[str, ...] = ()


# -- effective definition --------------------------------------------------------------------
def run_spec(report: Report, overrides: dict[str, Any] | None) -> RunSpec:
    """Merge and validate overrides; 400 BAD_REQUEST on unknown columns or bad logic."""
    overrides = dict(overrides or {})
    columns = overrides.get("detailColumns", report.detail_columns)
    if not isinstance(columns, list):
        raise bad_request("detailColumns must be a list of column names.")
    if len(columns) > MAX_COLUMNS:
        raise bad_request(f"A report can have at most {MAX_COLUMNS} columns.")
    for name in columns:
        column(name)
        if name not in report.type_columns:
            raise bad_request(f"The column '{name}' is not valid for this report type.")
    raw_filters = overrides.get("reportFilters", report.report_filters) or []
    if not isinstance(raw_filters, list):
        raise bad_request("reportFilters must be a list.")
    if len(raw_filters) > MAX_FILTERS:
        raise bad_request(f"A report can have at most {MAX_FILTERS} custom filters.")
    filters = [ReportFilter.from_json(item) for item in raw_filters]
    boolean = overrides.get("reportBooleanFilter", report.report_boolean_filter) or None
    logic = parse_logic(boolean, len(filters)) if boolean else None
    sort_by = overrides.get("sortBy", report.sort_by) or []
    if not isinstance(sort_by, list) or len(sort_by) > 1:
        raise bad_request("A report can be sorted by one column only.")
    for item in sort_by:
        column(item.get("sortColumn") if isinstance(item, dict) else item)
        if item.get("sortOrder", "Asc") not in ("Asc", "Desc"):
            raise bad_request(f"The sort order '{item.get('sortOrder')}' is not valid.")
    report_format = overrides.get("reportFormat", report.report_format)
    if report_format not in FORMATS:
        raise bad_request(f"The report format '{report_format}' is not valid.")
    down = _grouping_names(overrides.get("groupingsDown"), report.groupings_down)
    across = _grouping_names(overrides.get("groupingsAcross"), report.groupings_across)
    if report_format == "MATRIX" and sort_by:
        raise bad_request("Column sorting isn't supported for matrix reports.")
    if report_format == "TABULAR":
        down, across = (), ()
    elif report_format == "SUMMARY":
        across = ()
    return RunSpec(
        list(columns), filters, boolean, logic, list(sort_by), overrides, report_format, down,
        across,
    )  # fmt: skip


def _grouping_names(raw: Any, saved: list[str]) -> tuple[str, ...]:
    if raw is None:
        return tuple(saved)
    if not isinstance(raw, list) or not all(isinstance(g, dict) for g in raw):
        raise bad_request("groupings must be a list of objects with a name.")
    names = tuple(str(g.get("name")) for g in raw)
    for name in names:
        column(name)
    return names


# -- payloads ---------------------------------------------------------------------------------
def report_metadata(report: Report, spec: RunSpec | None = None) -> dict[str, Any]:
    """``reportMetadata`` of the saved report, or of a run reflecting its overrides."""
    filters = (
        report.report_filters
        if spec is None
        else spec.metadata_overrides.get("reportFilters", report.report_filters)
    )
    return {
        "id": report.id,
        "name": report.name,
        "developerName": report.developer_name,
        "description": report.description,
        "reportFormat": report.report_format if spec is None else spec.report_format,
        "reportType": {"type": report.report_type, "label": REPORT_TYPE_LABEL},
        "folderId": report.folder_id,
        "detailColumns": list(report.detail_columns if spec is None else spec.detail_columns),
        "reportFilters": [dict(item) for item in filters or []],
        "reportBooleanFilter": report.report_boolean_filter
        if spec is None
        else spec.boolean_filter,
        "sortBy": [dict(item) for item in (report.sort_by if spec is None else spec.sort_by)],
        "standardDateFilter": {
            "column": "CREATED_DATE",
            "durationValue": "CUSTOM",
            "startDate": None,
            "endDate": None,
        },
        "standardFilters": [],
        "groupingsDown": _grouping_json(
            report.groupings_down if spec is None else spec.groupings_down
        ),
        "groupingsAcross": _grouping_json(
            report.groupings_across if spec is None else spec.groupings_across
        ),
        "aggregates": ["RowCount"],
        "hasDetailRows": (report.report_format if spec is None else spec.report_format) != "MATRIX",
        "hasRecordCount": True,
        "showGrandTotal": True,
        "showSubtotals": True,
        "scope": "organization",
        "currency": None,
        "division": None,
        "topRows": dict(report.top_rows) if report.top_rows else None,
    }


def _grouping_json(names: Any) -> list[dict[str, Any]]:
    return [{"name": n, "sortOrder": "Asc", "dateGranularity": "None"} for n in names]


def extended_metadata(columns: list[str]) -> dict[str, Any]:
    return {
        "detailColumnInfo": {
            name: {"label": COLUMNS[name].label, "dataType": COLUMNS[name].data_type}
            for name in columns
        },
        "aggregateColumnInfo": {
            "RowCount": {
                "label": "Record Count",
                "dataType": "int",
                "acrossGroupingContext": None,
                "downGroupingContext": None,
            }
        },
        "groupingColumnInfo": {},
    }


def describe(report: Report) -> dict[str, Any]:
    """The describe payload: metadata, extended metadata and the report type's columns."""
    return {
        "reportMetadata": report_metadata(report),
        "reportExtendedMetadata": extended_metadata(list(report.type_columns)),
        "reportTypeMetadata": {
            "categories": [
                {
                    "label": REPORT_TYPE_LABEL,
                    "columns": {
                        col.name: {
                            "label": col.label,
                            "dataType": col.data_type,
                            "filterable": True,
                            "filterValues": [],
                        }
                        for col in COLUMNS.values()
                        if col.name in report.type_columns
                    },
                }
            ],
            "dataTypeFilterOperatorMap": {
                data_type: [{"name": op} for op in sorted(_operators_for(data_type))]
                for data_type in sorted({c.data_type for c in COLUMNS.values()})
            },
        },
    }


def _operators_for(data_type: str) -> set[str]:
    base = {"equals", "notEqual", "lessThan", "greaterThan", "lessOrEqual", "greaterOrEqual"}
    if data_type in ("date", "datetime"):
        return base
    return base | {"contains", "notContain", "startsWith"}


def attributes(report: Report, version: str) -> dict[str, Any]:
    base = f"/services/data/{version}/analytics/reports/{report.id}"
    return {
        "type": "Report",
        "reportId": report.id,
        "reportName": report.name,
        "describeUrl": f"{base}/describe",
        "instancesUrl": f"{base}/instances",
    }


def run(
    org: SandboxOrg,
    report: Report,
    overrides: dict[str, Any] | None,
    include_details: bool,
    version: str,
    dropped: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Run `report` synchronously and build the TABULAR response.

    `dropped` columns are left out of the answer altogether (a fault rule's doing)."""
    spec = run_spec(report, overrides)
    if dropped:
        kept = [name for name in spec.detail_columns if name not in dropped]
        spec = replace(spec, detail_columns=kept)
    row_ids, total = select_rows(org, report, spec)
    body: dict[str, Any] = {
        "attributes": attributes(report, version),
        "allData": total <= len(row_ids),
        "hasDetailRows": include_details and spec.report_format != "MATRIX",
        "groupingsDown": {"groupings": []},
        "groupingsAcross": {"groupings": []},
    }
    body.update(_facts(org, spec, row_ids, total, include_details))
    body["reportMetadata"] = report_metadata(report, spec)
    body["reportExtendedMetadata"] = extended_metadata(spec.detail_columns)
    return body


def _facts(
    org: SandboxOrg, spec: RunSpec, row_ids: list[str], total: int, include_details: bool
) -> dict[str, Any]:
    """The fact map (and groupings) of the run's format."""
    rows = [org.contacts.peek(rid) or {} for rid in row_ids]

    def cells(row: Row) -> list[dict[str, Any]]:
        return _cells(org, row, spec.detail_columns)

    def grouping(name: str) -> Callable[[Row], Any]:
        col = COLUMNS[name]
        return lambda row: column_value(org, row, col)

    if spec.report_format == "SUMMARY" and spec.groupings_down:
        return report_formats.summary(
            rows, total, grouping(spec.groupings_down[0]), cells, include_details
        )
    if spec.report_format == "MATRIX" and spec.groupings_down and spec.groupings_across:
        down, across = grouping(spec.groupings_down[0]), grouping(spec.groupings_across[0])
        return report_formats.matrix(rows, total, down, across)
    detail = [{"dataCells": cells(row)} for row in rows] if include_details else []
    return {
        "factMap": {
            "T!T": {"rows": detail, "aggregates": [{"label": f"{total:,}", "value": total}]}
        }
    }


# -- row selection -----------------------------------------------------------------------------
def select_rows(org: SandboxOrg, report: Report, spec: RunSpec) -> tuple[list[str], int]:
    """Up to ROW_LIMIT contact ids in result order, and the size of the whole result."""
    with org.lock:
        sort = spec.sort_by[0] if spec.sort_by else None
        by_id = sort is None or sort.get("sortColumn") == ID_COLUMN
        if by_id and (spec.logic is None or spec.logic.only_and):
            descending = sort is not None and sort.get("sortOrder") == "Desc"
            return _keyset(org, report, spec.filters, descending)
        return _full_scan(org, report, spec)


def _row_predicate(
    org: SandboxOrg, filters: list[ReportFilter], logic: FilterLogic | None
) -> Predicate:
    tests = [(f.column, f.test()) for f in filters]

    def results(row: Row) -> list[bool]:
        return [test(column_value(org, row, col)) for col, test in tests]

    if logic is not None:
        evaluate = logic.evaluate
        return lambda row: evaluate(results(row))
    return lambda row: all(test(column_value(org, row, col)) for col, test in tests)


def _full_scan(org: SandboxOrg, report: Report, spec: RunSpec) -> tuple[list[str], int]:
    predicate = _row_predicate(org, spec.filters, spec.logic)
    rows = [row for row in _member_rows(org, report) if predicate(row)]
    if spec.sort_by:
        col = COLUMNS[spec.sort_by[0]["sortColumn"]]
        descending = spec.sort_by[0].get("sortOrder") == "Desc"
        rows.sort(key=lambda row: row["Id"])
        exact = col.data_type == "id"  # record ids sort by their exact (binary) text
        keyed = [(_sort_key(column_value(org, row, col), exact), row) for row in rows]
        present = [pair for pair in keyed if pair[0] is not None]
        blank = [row for key, row in keyed if key is None]
        present.sort(key=lambda pair: pair[0], reverse=descending)
        ordered = [row for _, row in present]
        rows = ordered + blank if descending else blank + ordered
    return [row["Id"] for row in rows[:ROW_LIMIT]], len(rows)


def _sort_key(value: Any, exact: bool = False) -> Any:
    if value is None or value == "":
        return None
    return value.casefold() if isinstance(value, str) and not exact else value


def _member_rows(org: SandboxOrg, report: Report) -> Iterator[Row]:
    for index in report.members.indices:
        row = org.contacts.peek_index(index)
        if row is not None:
            yield row


def _keyset(
    org: SandboxOrg, report: Report, filters: list[ReportFilter], descending: bool
) -> tuple[list[str], int]:
    id_bounds = [f for f in filters if f.column.name == ID_COLUMN and f.operator in RANGE_OPERATORS]
    others = [f for f in filters if f not in id_bounds]
    members = report.members.indices
    ids = org.contacts.ids
    passing = _passing_generated(org, report, others)
    low, high = _bounds(id_bounds)
    in_range = _id_range_test(id_bounds)
    count = _span(passing, ids, low, high)
    predicate = _row_predicate(org, others, None)
    for index in _touched_members(org, report):
        record_id = ids.id_for(index)
        if not in_range(record_id):
            continue
        row = org.contacts.peek_index(index)
        now = row is not None and predicate(row)
        was = _contains(passing, index)
        count += int(now) - int(was)
    start = _span_start(members, ids, low)
    stop = _span_stop(members, ids, high)
    positions = range(stop - 1, start - 1, -1) if descending else range(start, stop)
    picked: list[str] = []
    for position in positions:
        row = org.contacts.peek_index(members[position])
        if row is not None and predicate(row):
            picked.append(row["Id"])
            if len(picked) == ROW_LIMIT:
                break
    return picked, count


def _bounds(
    id_bounds: list[ReportFilter],
) -> tuple[tuple[str, bool] | None, tuple[str, bool] | None]:
    """Tightest lower and upper id bound as (value, inclusive)."""
    low: tuple[str, bool] | None = None
    high: tuple[str, bool] | None = None
    for f in id_bounds:
        value = normalize_id(f.value)
        if f.operator in ("greaterThan", "greaterOrEqual"):
            candidate = (value, f.operator == "greaterOrEqual")
            if low is None or (candidate[0], not candidate[1]) > (low[0], not low[1]):
                low = candidate
        else:
            candidate = (value, f.operator == "lessOrEqual")
            if high is None or (candidate[0], candidate[1]) < (high[0], high[1]):
                high = candidate
    return low, high


def _id_range_test(id_bounds: list[ReportFilter]) -> Callable[[str], bool]:
    tests = [f.test() for f in id_bounds]
    return lambda record_id: all(test(record_id) for test in tests)


def _span_start(indices: array[int], ids: Any, low: tuple[str, bool] | None) -> int:
    if low is None:
        return 0
    return position_after(indices, ids, low[0], inclusive=low[1])


def _span_stop(indices: array[int], ids: Any, high: tuple[str, bool] | None) -> int:
    if high is None:
        return len(indices)
    finder = bisect_right if high[1] else bisect_left
    return finder(indices, high[0], key=ids.id_for)


def _span(indices: array[int], ids: Any, low: Any, high: Any) -> int:
    return max(0, _span_stop(indices, ids, high) - _span_start(indices, ids, low))


def _contains(indices: array[int], index: int) -> bool:
    position = bisect_left(indices, index)
    return position < len(indices) and indices[position] == index


def _passing_generated(org: SandboxOrg, report: Report, others: list[ReportFilter]) -> array[int]:
    """Member rows that pass `others` as *generated* (cached; edits are corrected later)."""
    contacts = org.contacts
    members = report.members.indices
    generated = contacts.generated_count
    all_generated = not members or members[-1] < generated
    if not others and all_generated:
        return members
    signature = tuple((f.column.name, f.operator, f.value) for f in others)
    key = (report.id, id(report.members), report.members.version, org.accounts.version, signature)
    cached = org.report_cache.get(key)
    if cached is None:
        predicate = _row_predicate(org, others, None)
        cached = array(
            "q",
            (
                index
                for index in members
                if index < generated and predicate(contacts.generated_row(index))
            ),
        )
        if len(org.report_cache) > 32:
            org.report_cache.clear()
        org.report_cache[key] = cached
    return cached


def _touched_members(org: SandboxOrg, report: Report) -> list[int]:
    """Member rows whose live state may differ from their generated state, or not generated."""
    contacts = org.contacts
    members = report.members.indices
    touched = {contacts.ids.index_of(rid) for rid in contacts.touched_generated_ids()}
    touched.discard(None)
    result = [index for index in touched if index is not None and _contains(members, index)]
    generated = contacts.generated_count
    tail = bisect_left(members, generated)
    result.extend(members[tail:])
    return result


# -- cells ----------------------------------------------------------------------------------
def column_value(org: SandboxOrg, row: Row, col: ReportColumn) -> Any:
    """The stored value behind a report column for one contact row."""
    if col.source == "Account.Name":
        account_id = row.get("AccountId")
        account = org.accounts.peek(account_id) if account_id else None
        return account.get("Name") if account else None
    return row.get(col.source)


def _cells(org: SandboxOrg, row: Row, columns: list[str]) -> list[dict[str, Any]]:
    return [cell(org, row, COLUMNS[name]) for name in columns]


def cell(org: SandboxOrg, row: Row, col: ReportColumn) -> dict[str, Any]:
    """One ``dataCells`` entry: formatted ``label`` and raw ``value``."""
    value = column_value(org, row, col)
    if value is None or value == "":
        return {"label": "-", "value": None}
    if col.data_type == "id":
        return {"label": row.get("Name") or value, "value": value}
    if col.data_type == "datetime":
        return {"label": datetime_label(value), "value": iso_z(value)}
    if col.data_type == "date":
        return {"label": date_label(value), "value": value.isoformat()}
    return {"label": str(value), "value": value}
