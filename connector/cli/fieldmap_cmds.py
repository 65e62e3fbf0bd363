"""`connector fieldmap`: draft, check, preview and publish the schema of field maps."""

from __future__ import annotations

import json
import re
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from connector.cli.common import console, open_store, settings_now
from connector.cli.privacy_cmds import audited
from connector.errors import ConfigError

if TYPE_CHECKING:
    from connector.crm.base import ReportRef
    from connector.crm.salesforce.adapter import SalesforceAdapter
    from connector.fieldmap import FieldMap

app = typer.Typer(
    help="Draft a customer's field map, check it, preview what it maps, print its JSON Schema.",
    no_args_is_help=True,
)


def located(fm: FieldMap, key: str) -> str:
    """`file:line` of a key such as `source.reports[1]` (`file` alone when the line is unknown)."""
    path = tuple(
        int(part[1:-1]) if part.startswith("[") else part
        for part in re.findall(r"\[\d+\]|[^.\[\]]+", key)
    )
    line = fm.line_of(path)
    return f"{fm.source_path}:{line}" if line else str(fm.source_path)


def missing_reports(fm: FieldMap, folder_reports: list[str]) -> list[tuple[str, str]]:
    """(key, problem) for each `source.reports` entry the folder does not hold."""
    problems = []
    for index, name in enumerate(fm.source.reports or []):
        if name not in folder_reports:
            known = ", ".join(folder_reports) or "none"
            problems.append(
                (
                    f"source.reports[{index}]",
                    f"no report {name!r} in folder {fm.source.report_folder!r}; "
                    f"use one of: {known}",
                )
            )
    return problems


def _problem(fm: FieldMap, key: str, text: str) -> None:
    console.print(
        f"[red]problem[/] {escape(located(fm, key))} {escape(key)}: {escape(text)}",
        highlight=False,
        soft_wrap=True,
    )


def _check_reports(fm: FieldMap, crm: SalesforceAdapter, reports: list[ReportRef]) -> int:
    """Print each report's column problems (or ok); returns how many problems there were."""
    from connector.fieldmap import check_against_report, check_report_shape

    failures = 0
    for report in reports:
        problems = check_against_report(
            fm, report.developer_name, crm.describe_report_columns(report)
        )
        shape = crm.describe_report_shape(report)
        problems += check_report_shape(
            report.developer_name, shape.format, shape.filters, shape.row_limit
        )
        for problem in problems:
            failures += 1
            _problem(
                fm,
                problem.key,
                f"report {report.developer_name!r}: {problem.message}; {problem.fix}",
            )
        if not problems:
            console.print(
                f"[green]ok[/] report {report.developer_name}: every mapped column present"
            )
    return failures


def _check_external_id(fm: FieldMap, crm: SalesforceAdapter) -> int:
    fields = crm.describe_object_fields(fm.activities.object)
    external = fields.get(fm.activities.external_id_field)
    field = f"{fm.activities.object}.{fm.activities.external_id_field}"
    if external is None or not (external.get("externalId") or external.get("idLookup")):
        _problem(
            fm,
            "activities.external_id_field",
            f"{field} is not an external-id field in the org; create a unique External ID "
            "text field on the object, or fix the name",
        )
        return 1
    console.print(f"[green]ok[/] {field} is an external id")
    return 0


def _fail_if(failures: int, fm: FieldMap, customer: str) -> None:
    if failures:
        raise ConfigError(
            f"{failures} problem(s) between {fm.source_path} and the org; fix them and run "
            f"`connector fieldmap check {customer}` again",
            customer=customer,
        )


@app.command()
def check(
    customer: str = typer.Argument(
        ..., metavar="CUSTOMER", help="Customer id (field_maps/CUSTOMER.yaml)."
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Check the file only; do not ask the CRM about its reports."
    ),
) -> None:
    """Validate the field map; online, also check the folder's reports, columns and Task field."""
    from connector.fieldmap import load_field_map
    from connector.runtime import connect_crm

    settings = settings_now()
    fm = load_field_map(customer, settings.field_maps_dir)
    console.print(f"[green]ok[/] {fm.source_path}: schema valid", highlight=False)
    if offline:
        return
    crm = connect_crm(fm, open_store(customer, settings), settings)
    reports = crm.list_reports(fm.source.report_folder)
    failures = 0
    for key, text in missing_reports(fm, [r.developer_name for r in reports]):
        failures += 1
        _problem(fm, key, text)
    if fm.source.reports:
        reports = [r for r in reports if r.developer_name in set(fm.source.reports)]
    failures += _check_reports(fm, crm, reports)
    failures += _check_external_id(fm, crm)
    _fail_if(failures, fm, customer)


@app.command()
@audited("fieldmap_preview")
def preview(
    customer: str = typer.Argument(..., metavar="CUSTOMER", help="Customer id."),
    report: str | None = typer.Option(
        None, "--report", help="Report developer name (default: the first)."
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=2000, help="Rows to show."),
) -> None:
    """Fetch a few rows (mapped columns only) and show what they map to. Writes nothing."""
    from connector.fieldmap import MappedRow, apply_map, load_field_map, requested_columns
    from connector.runtime import connect_crm

    settings = settings_now()
    fm = load_field_map(customer, settings.field_maps_dir)
    crm = connect_crm(fm, open_store(customer, settings), settings)
    reports = crm.list_reports(fm.source.report_folder)
    chosen = [r for r in reports if report is None or r.developer_name == report]
    if not chosen:
        names = ", ".join(r.developer_name for r in reports) or "none"
        raise ConfigError(
            f"no report {report!r} in folder {fm.source.report_folder!r} (reports: {names})",
            customer=customer,
        )
    target = chosen[0]
    _fail_if(_check_reports(fm, crm, [target]), fm, customer)
    pages = crm.iter_report_pages(target, fm.prospect.id, requested_columns(fm), prefetch=False)
    page = next(iter(pages))
    fields = list(fm.prospect.fields)
    table = Table(title=f"{target.developer_name}: first {limit} rows, mapped")
    table.add_column("CRM id")
    for name in fields:
        table.add_column(name)
    table.add_column("result")
    for row in islice(page.rows, limit):
        result = apply_map(fm, row)
        if isinstance(result, MappedRow):
            table.add_row(result.crm_id, *[result.fields.get(f) or "" for f in fields], "ok")
        else:
            table.add_row(result.crm_id or "?", *["" for _ in fields], "; ".join(result.reasons))
    console.print(table)


@app.command()
@audited("fieldmap_init")
def init(
    customer: str = typer.Argument(..., metavar="CUSTOMER", help="Customer id (connected)."),
    folder: str = typer.Option(
        ..., "--folder", help="The report folder: developer name (e.g. Call_Lists) or 00l id."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write here instead of field_maps/CUSTOMER.yaml."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Draft a commented field map from the folder's reports and their columns."""
    from connector.drafting import fetch_draft

    settings = settings_now()
    target = out or Path(settings.field_maps_dir) / f"{customer}.yaml"
    if target.exists() and not force:
        raise ConfigError(
            f"{target} exists; pass --force to overwrite it, or --out to write elsewhere",
            customer=customer,
        )
    text, reports = fetch_draft(open_store(customer, settings), settings, folder)
    _write_draft(target, text, force=force)
    open_todos = text.count("# TODO:")
    console.print(
        f"wrote {target}: {reports} reports; "
        + (f"{open_todos} open choice(s) marked TODO, " if open_todos else "")
        + f"suggestions marked CHOOSE. Review it, then run `connector fieldmap check {customer}`",
        highlight=False,
        soft_wrap=True,
    )


def _write_draft(target: Path, text: str, *, force: bool) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w" if force else "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise ConfigError(f"{target} exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from exc


@app.command()
def schema(
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    """Print the field maps' JSON Schema (editors use it to validate and complete)."""
    from connector.fieldmap import json_schema

    text = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from exc
        console.print(f"wrote {out}")
