"""The field map page's reads: the map, the online check, a preview (the I/O half of the page).

The check and the preview ask the org through the customer's stored connection, exactly as
`connector fieldmap check` and `fieldmap preview` do; the preview's rows are mapped in memory
and shown once, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from connector.config import Settings
from connector.errors import ConfigError, ConnectorError
from connector.fieldmap import (
    FieldMap,
    check_against_report,
    check_report_shape,
    load_field_map,
    preview_rows,
    requested_columns,
)
from connector.fieldmap.online import check_external_id
from connector.fieldmap.problems import InvalidFieldMapError
from connector.runtime import connect_crm
from connector.store.tenant import TenantStore

PREVIEW_LIMIT = 10


@dataclass(frozen=True)
class MapView:
    """The customer's map, or the problems that keep it from loading."""

    field_map: FieldMap | None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnCheck:
    """One mapped key in one report: `ok`, or the problem and its fix."""

    key: str
    column: str
    problem: str = ""


@dataclass(frozen=True)
class ReportCheck:
    """One report of the folder: each mapped column's result, and shape problems."""

    report: str
    columns: tuple[ColumnCheck, ...]
    shape: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.shape and not any(c.problem for c in self.columns)


@dataclass(frozen=True)
class CheckView:
    """The online check: per report and column, the write-back field, reports not found."""

    reports: tuple[ReportCheck, ...] = ()
    external_id: str = ""
    missing_reports: tuple[str, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        return (
            not self.error
            and not self.external_id
            and not self.missing_reports
            and all(report.ok for report in self.reports)
        )


@dataclass(frozen=True)
class PreviewView:
    """The first rows of one report as mapped (never stored)."""

    report: str
    reports: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    rows: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    error: str = ""


def load_map(customer: str, field_maps_dir: Path) -> MapView:
    """The customer's map, or its problems (a missing map gives a MapView with neither)."""
    if not (Path(field_maps_dir) / f"{customer}.yaml").is_file():
        return MapView(None)
    try:
        return MapView(load_field_map(customer, Path(field_maps_dir)))
    except InvalidFieldMapError as exc:
        return MapView(None, tuple(str(exc).splitlines()[1:]))
    except ConnectorError as exc:
        return MapView(None, (str(exc),))


def _column_checks(fm: FieldMap, report: str, columns: dict[str, str]) -> tuple[ColumnCheck, ...]:
    problems = {p.key: f"{p.message}; {p.fix}" for p in check_against_report(fm, report, columns)}
    keys = [("prospect.id", fm.prospect.id)] + [
        (f"prospect.fields.{name}", spec.column)
        for name, spec in fm.prospect.fields.items()
        if spec.column
    ]
    return tuple(ColumnCheck(key, column, problems.get(key, "")) for key, column in keys)


def check_online(engine: Engine, settings: Settings, fm: FieldMap) -> CheckView:
    """Check `fm` against the org's folder, reports, columns and Task field (CRM calls)."""
    try:
        crm = connect_crm(fm, TenantStore(engine, fm.customer), settings)
        reports = crm.list_reports(fm.source.report_folder)
        names = [r.developer_name for r in reports]
        missing = tuple(name for name in fm.source.reports or [] if name not in names)
        if fm.source.reports:
            reports = [r for r in reports if r.developer_name in set(fm.source.reports)]
        checks = []
        for report in reports:
            shape = crm.describe_report_shape(report)
            shape_problems = check_report_shape(
                report.developer_name, shape.format, shape.filters, shape.row_limit
            )
            checks.append(
                ReportCheck(
                    report.developer_name,
                    _column_checks(fm, report.developer_name, crm.describe_report_columns(report)),
                    tuple(f"{p.message}; {p.fix}" for p in shape_problems),
                )
            )
        external_id = check_external_id(fm, crm)
        external = "" if external_id.outcome == "ok" else external_id.text
        return CheckView(tuple(checks), external, missing)
    except ConnectorError as exc:
        return CheckView(error=str(exc))


def preview(
    engine: Engine, settings: Settings, fm: FieldMap, report: str | None, limit: int
) -> PreviewView:
    """The first `limit` rows of `report` (default: the first) as mapped; nothing stored."""
    try:
        crm = connect_crm(fm, TenantStore(engine, fm.customer), settings)
        reports = crm.list_reports(fm.source.report_folder)
        if fm.source.reports:
            reports = [r for r in reports if r.developer_name in set(fm.source.reports)]
        names = tuple(r.developer_name for r in reports)
        chosen = [r for r in reports if report in (None, "", r.developer_name)]
        if not chosen:
            raise ConfigError(f"no report {report!r} in folder {fm.source.report_folder!r}")
        target = chosen[0]
        problems = check_against_report(
            fm, target.developer_name, crm.describe_report_columns(target)
        )
        if problems:
            raise ConfigError("; ".join(str(p) for p in problems))
        pages = crm.iter_report_pages(target, fm.prospect.id, requested_columns(fm), prefetch=False)
        rows = preview_rows(fm, next(iter(pages)).rows, limit)
        fields = tuple(fm.prospect.fields)
        return PreviewView(target.developer_name, names, fields, tuple(rows))
    except ConnectorError as exc:
        return PreviewView(report or "", error=str(exc))
