"""Check a field map against one report's columns: present, and of a compatible type.

Used by `connector fieldmap check` once the report metadata is fetched: pure, so it is tested
with tables. Types are the report metadata's data types (string, email, date, ...); a type
this table does not know is given the benefit of the doubt.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from connector.fieldmap.model import FieldMap

_TEXT = frozenset({"string", "textarea", "combobox", "encryptedstring", "html"})
_KNOWN_TYPES = _TEXT | {
    "email", "phone", "url", "picklist", "multipicklist", "reference", "id", "date",
    "datetime", "time", "boolean", "int", "double", "currency", "percent",
}  # fmt: skip
_ACCEPTS: dict[str, frozenset[str]] = {
    "email": _TEXT | {"email"},
    "phone": _TEXT | {"phone"},
    "first_name": _TEXT,
    "last_name": _TEXT,
    "date": _TEXT | {"date", "datetime"},
    "datetime": _TEXT | {"date", "datetime"},
}
#: The id column pages the report (sorted, `greaterThan` the last id): it must hold unique
#: record ids, which only id-typed columns promise. Unknown types get no benefit of the doubt.
_ID_TYPES = frozenset({"id", "reference"})


@dataclass(frozen=True)
class ReportColumnProblem:
    """A mismatch between the field map and a report: which report, column and map key."""

    report: str
    column: str
    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"report {self.report!r} {self.key}: {self.message}; {self.fix}"


def _closest(column: str, names: list[str]) -> str | None:
    """The column a missing one was most likely renamed to: same name in another case, a
    similar spelling, or a name containing it (EMAIL -> EMAIL_ADDRESS, Contact.Email).
    `names` should hold the report's columns that the map does not use yet.
    """
    wanted = column.casefold()
    same = [name for name in names if name.casefold() == wanted]
    similar = difflib.get_close_matches(column, names, n=1, cutoff=0.6)
    containing = [name for name in names if wanted in name.casefold()]
    for candidates in (same, similar, containing):
        if candidates:
            return candidates[0]
    return None


def _missing(
    report: str, column: str, key: str, columns: Mapping[str, str], used: set[str]
) -> ReportColumnProblem:
    close = _closest(column, [name for name in columns if name not in used])
    if close:
        fix = f"did you mean {close!r}? set {key} to it, or add {column!r} to the report"
    else:
        fix = f"add column {column!r} to the report, or change {key}"
    return ReportColumnProblem(report, column, key, f"report has no column {column!r}", fix)


def _type_problem(
    report: str, column: str, key: str, data_type: str, accepted: frozenset[str], what: str
) -> ReportColumnProblem | None:
    kind = data_type.lower()
    if kind not in _KNOWN_TYPES or kind in accepted:
        return None
    return ReportColumnProblem(
        report,
        column,
        key,
        f"column {column!r} is of type {data_type}, which {what} cannot read",
        f"map a {' / '.join(sorted(accepted))} column instead, or change the transform",
    )


def _id_type_problem(
    report: str, column: str, data_type: str, columns: Mapping[str, str]
) -> ReportColumnProblem | None:
    if data_type.lower() in _ID_TYPES:
        return None
    candidates = [name for name, kind in columns.items() if kind.lower() == "id"]
    if candidates:
        fix = f"set prospect.id to {candidates[0]!r}, the report's record-id column"
    else:
        fix = "add the record-id column (e.g. Contact ID) to the report and set prospect.id to it"
    return ReportColumnProblem(
        report,
        column,
        "prospect.id",
        f"column {column!r} is of type {data_type}, not a record id; rows are paged in id "
        "order, so the id column must be a unique, id-typed column",
        fix,
    )


def check_against_report(
    field_map: FieldMap, report_name: str, columns: Mapping[str, str]
) -> list[ReportColumnProblem]:
    """Problems with `report_name`, whose `columns` map column name -> data type.

    Reports the missing id column, an id column that is not id-typed, missing mapped columns
    (suggesting a close name) and columns whose type the field's transform cannot read. An
    empty list means compatible.
    """
    problems: list[ReportColumnProblem] = []
    id_column = field_map.prospect.id
    used = {id_column} | {spec.column for spec in field_map.prospect.fields.values() if spec.column}
    if id_column not in columns:
        problems.append(_missing(report_name, id_column, "prospect.id", columns, used))
    else:
        found = _id_type_problem(report_name, id_column, columns[id_column], columns)
        problems.extend([found] if found else [])
    for name, spec in field_map.prospect.fields.items():
        if spec.column is None:
            continue
        key = f"prospect.fields.{name}"
        if spec.column not in columns:
            problems.append(_missing(report_name, spec.column, key, columns, used))
            continue
        accepted = _ACCEPTS.get(spec.transform)
        if accepted is not None:
            what = f"transform {spec.transform!r}"
            found = _type_problem(
                report_name, spec.column, key, columns[spec.column], accepted, what
            )
            problems.extend([found] if found else [])
    return problems


MAX_REPORT_FILTERS = 20  # the Reports API's cap on custom filters in one run


def check_report_shape(
    report_name: str, report_format: str, filters: int, row_limit: int | None
) -> list[ReportColumnProblem]:
    """Problems that stop a report from being paged past 2,000 rows, with the fix for each.

    Pages are tabular runs sorted by the id column with one extra ``greaterThan`` filter:
    a matrix report has no detail rows to page, a row-limit (Top-N) report cuts its rows
    before any page, and a report that already has the API's 20 custom filters leaves no
    slot for the paging filter. Tabular and summary reports are fine.
    """
    problems: list[ReportColumnProblem] = []
    kind = report_format.lower()
    if kind == "matrix":
        problems.append(
            ReportColumnProblem(
                report_name, "", "source.reports",
                "is a matrix report, which gives no detail rows",
                "save it as a tabular (or summary) report",
            )
        )  # fmt: skip
    elif kind not in ("tabular", "summary"):
        problems.append(
            ReportColumnProblem(
                report_name, "", "source.reports",
                f"is a {kind} report, which cannot be paged",
                "save it as a tabular report",
            )
        )  # fmt: skip
    if row_limit is not None:
        problems.append(
            ReportColumnProblem(
                report_name, "", "source.reports",
                f"is a row-limit report (top {row_limit} rows), which cuts rows before paging",
                "remove the row limit from the report",
            )
        )  # fmt: skip
    if filters >= MAX_REPORT_FILTERS:
        problems.append(
            ReportColumnProblem(
                report_name, "", "source.reports",
                f"has {filters} filters, the most a run allows, leaving no slot for the "
                "paging filter",
                "remove one filter",
            )
        )  # fmt: skip
    return problems
