"""`connector fieldmap`: check, preview and publish the schema of field maps."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import typer
from rich.table import Table

from connector.cli.common import console, open_store
from connector.cli.privacy_cmds import audited
from connector.config import get_settings
from connector.errors import ConfigError
from connector.fieldmap import (
    MappedRow,
    apply_map,
    check_against_report,
    check_report_shape,
    json_schema,
    requested_columns,
)
from connector.fieldmap import load_field_map as load
from connector.runtime import connect_crm

app = typer.Typer(
    help="Check a customer's field map, preview what it maps, print its JSON Schema.",
    no_args_is_help=True,
)


@app.command()
def check(
    customer: str = typer.Argument(..., help="Customer id (field_maps/CUSTOMER.yaml)."),
    offline: bool = typer.Option(
        False, "--offline", help="Check the file only; do not ask the CRM about its reports."
    ),
) -> None:
    """Validate the field map; online, also check every report in the folder has its columns."""
    settings = get_settings()
    fm = load(customer, settings.field_maps_dir)
    console.print(f"[green]ok[/] {fm.source_path}: schema valid")
    if offline:
        return
    store = open_store(customer, settings)
    crm = connect_crm(fm, store, settings)
    reports = crm.list_reports(fm.source.report_folder)
    if fm.source.reports:
        reports = [r for r in reports if r.developer_name in set(fm.source.reports)]
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
            console.print(
                f"[red]problem[/] report {report.developer_name!r} {problem.key}: "
                f"{problem.message}; {problem.fix}",
                highlight=False,
            )
        if not problems:
            console.print(
                f"[green]ok[/] report {report.developer_name}: every mapped column present"
            )
    fields = crm.describe_object_fields(fm.activities.object)
    external = fields.get(fm.activities.external_id_field)
    if external is None or not (external.get("externalId") or external.get("idLookup")):
        failures += 1
        console.print(
            f"[red]problem[/] activities.external_id_field: {fm.activities.object}."
            f"{fm.activities.external_id_field} is not an external-id field in the org; create a "
            "unique External ID text field on the object, or fix the name",
            highlight=False,
        )
    else:
        field = f"{fm.activities.object}.{fm.activities.external_id_field}"
        console.print(f"[green]ok[/] {field} is an external id")
    if failures:
        raise ConfigError(
            f"{failures} problem(s) between {fm.source_path} and the org", customer=customer
        )


@app.command()
@audited("fieldmap_preview")
def preview(
    customer: str = typer.Argument(..., help="Customer id."),
    report: str | None = typer.Option(
        None, "--report", help="Report developer name (default: the first)."
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=2000, help="Rows to show."),
) -> None:
    """Fetch a few rows (mapped columns only) and show what they map to. Writes nothing."""
    settings = get_settings()
    fm = load(customer, settings.field_maps_dir)
    crm = connect_crm(fm, open_store(customer, settings), settings)
    reports = crm.list_reports(fm.source.report_folder)
    chosen = [r for r in reports if report is None or r.developer_name == report]
    if not chosen:
        names = ", ".join(r.developer_name for r in reports) or "none"
        raise ConfigError(
            f"no report {report!r} in the folder (reports: {names})", customer=customer
        )
    target = chosen[0]
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
def schema(
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    """Print the field maps' JSON Schema (editors use it to validate and complete)."""
    text = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
