"""`connector fieldmap`: draft, check, preview and publish the schema of field maps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from connector.cli.common import console, open_store, settings_now
from connector.cli.jsonout import JSON_OPTION, print_json
from connector.cli.privacy_cmds import audited
from connector.errors import ConfigError

if TYPE_CHECKING:
    from connector.crm.base import ReportRef
    from connector.crm.salesforce.adapter import SalesforceAdapter
    from connector.fieldmap import FieldMap
    from connector.fieldmap.online import Finding

app = typer.Typer(
    help="Draft a customer's field map, check it, preview what it maps, print its JSON Schema.",
    no_args_is_help=True,
)


def _print(finding: Finding) -> None:
    if finding.outcome == "ok":
        console.print(f"[green]ok[/] {escape(finding.text)}", highlight=False, soft_wrap=True)
        return
    console.print(
        f"[red]problem[/] {escape(finding.location)} {escape(finding.key)}: {escape(finding.text)}",
        highlight=False,
        soft_wrap=True,
    )


def _check_reports(fm: FieldMap, crm: SalesforceAdapter, reports: list[ReportRef]) -> int:
    """Print each report's column problems (or ok); returns how many problems there were."""
    from connector.fieldmap.online import check_reports

    findings = check_reports(fm, crm, reports)
    for finding in findings:
        _print(finding)
    return sum(1 for f in findings if f.outcome == "problem")


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
    as_json: bool = JSON_OPTION,
) -> None:
    """Validate the field map; online, also check the folder's reports, columns and Task field."""
    from connector.fieldmap import load_field_map
    from connector.fieldmap.online import check_online
    from connector.runtime import connect_crm

    settings = settings_now()
    fm = load_field_map(customer, settings.field_maps_dir)
    findings: list[Finding] = []
    if not offline:
        crm = connect_crm(fm, open_store(customer, settings), settings)
        findings = list(check_online(fm, crm).findings)
    problems = sum(1 for f in findings if f.outcome == "problem")
    if as_json:
        print_json(
            {
                "customer": customer,
                "field_map": str(fm.source_path),
                "schema_valid": True,
                "online": not offline,
                "ok": problems == 0,
                "findings": [f.to_json() for f in findings],
            }
        )
    else:
        console.print(f"[green]ok[/] {fm.source_path}: schema valid", highlight=False)
        for finding in findings:
            _print(finding)
    _fail_if(problems, fm, customer)


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
    from connector.fieldmap import load_field_map, preview_rows, requested_columns
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
    for crm_id, values, outcome in preview_rows(fm, page.rows, limit):
        table.add_row(crm_id, *values, outcome)
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
