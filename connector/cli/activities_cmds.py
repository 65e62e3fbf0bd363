"""`connector activities import|failed` and `connector push`: the activity outbox by hand."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from connector.cli.common import console, err_console, open_store, settings_now
from connector.cli.jsonout import JSON_OPTION, iso, print_json
from connector.cli.privacy_cmds import audited
from connector.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from connector.store.models import Activity, SyncRun
    from connector.sync.activities import ActivityIn

app = typer.Typer(
    help="Record call and email activities for write-back, and inspect parked failures.",
    no_args_is_help=True,
)
MAX_PROBLEMS_SHOWN = 20
#: Task records `push --dry-run` shows unless told otherwise.
DRY_RUN_SAMPLE = 5


def parse_lines(lines: Iterable[str]) -> tuple[list[ActivityIn], list[str]]:
    """JSON Lines -> activities, plus one `line N: field: problem` per problem found."""
    from pydantic import ValidationError

    from connector.sync.activities import ActivityIn, describe_errors

    activities: list[ActivityIn] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(data, dict):
            problems.append(f"line {number}: expected a JSON object, got {type(data).__name__}")
            continue
        try:
            activities.append(ActivityIn.model_validate(data))
        except ValidationError as exc:
            problems.extend(f"line {number}: {problem}" for problem in describe_errors(exc))
    return activities, problems


def _line_count(path: Path) -> int | None:
    """Lines in the file, for the progress bar (None if it cannot be read: read_lines says why)."""
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return None


def _counted(lines: Iterable[str], advance: Callable[[], None]) -> Iterator[str]:
    for line in lines:
        advance()
        yield line


def read_lines(path: Path) -> Iterator[str]:
    """The lines of a UTF-8 file; ConfigError naming the file and line of any other encoding."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise ConfigError(
                    f"{path}: line 1: the file is UTF-16; save it as UTF-8 "
                    "(e.g. `iconv -f UTF-16 -t UTF-8`)"
                )
            handle.seek(len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0)
            for number, raw in enumerate(handle, start=1):
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ConfigError(
                        f"{path}: line {number}: byte 0x{raw[exc.start]:02x} at column "
                        f"{exc.start + 1} is not UTF-8; save the file as UTF-8"
                    ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc


@app.command("import")
@audited("activities_import")
def import_activities(
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer id.")],
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            exists=True,
            dir_okay=False,
            readable=True,
            help="JSON Lines: one activity a line.",
        ),
    ],
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate only; store nothing."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Queue activities from a JSON Lines file for write-back (all or nothing).

    Each line is one object with id (UUID), kind (call|email), prospect_crm_id, occurred_at
    (with a time zone) and optionally direction, duration_seconds, outcome and subject.
    Content such as body, recording_url or transcript is refused.
    """
    from connector.cli.progress import count_progress
    from connector.runtime import suppression_check
    from connector.sync.push import record_activities

    with count_progress(console, "reading lines", _line_count(file), progress) as bar:
        activities, problems = parse_lines(_counted(read_lines(file), bar.advance))
    if problems:
        for problem in problems[:MAX_PROBLEMS_SHOWN]:
            err_console.print(f"[red]{escape(file.name)}[/] {escape(problem)}", highlight=False)
        more = len(problems) - MAX_PROBLEMS_SHOWN
        if more > 0:
            err_console.print(f"... and {more} more problems")
        err_console.print(f"nothing imported: {len(problems)} problem(s); fix them and run again")
        raise typer.Exit(2)
    if dry_run:
        console.print(f"{len(activities)} activities are valid; nothing stored (--dry-run)")
        return
    store = open_store(customer)
    result = record_activities(store, activities, suppression_check(store))
    console.print(
        f"{customer}: {result.created} new, {result.updated} updated, "
        f"{result.requeued} changed after push (queued again), {result.unchanged} unchanged"
    )


@app.command("failed")
@audited("activities_failed")
def failed(
    customer: str = typer.Argument(..., metavar="CUSTOMER", help="Customer id."),
    retry: bool = typer.Option(False, "--retry", help="Put the parked activities back to pending."),
    limit: int = typer.Option(50, "--limit", "-n", help="How many to list."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List activities the CRM refused (parked), with its error code and message."""
    store = open_store(customer)
    parked = store.failed_activities()
    if as_json:
        print_json(
            {
                "customer": customer,
                "parked": len(parked),
                "activities": [_parked_json(a) for a in parked[:limit]],
                "requeued": store.requeue_failed([a.activity_id for a in parked])
                if retry and parked
                else 0,
            }
        )
        return
    if not parked:
        console.print(f"{customer}: no parked activities")
        return
    table = Table(title=f"parked activities of {customer} ({len(parked)})")
    for name in ("activity id", "kind", "prospect", "occurred (UTC)", "tries", "error", "message"):
        table.add_column(name, overflow="fold")
    for activity in parked[:limit]:
        cells = (
            activity.activity_id,
            activity.kind,
            activity.prospect_crm_id,
            activity.occurred_at.strftime("%Y-%m-%d %H:%M"),
            str(activity.attempts),
            activity.error_code or "",
            activity.error_message or "",
        )
        table.add_row(*(escape(cell) for cell in cells))
    console.print(table)
    if retry:
        count = store.requeue_failed([a.activity_id for a in parked])
        console.print(f"{count} activities queued again; run `connector push {customer}`")


def _parked_json(activity: Activity) -> dict[str, Any]:
    """A parked activity as the table shows it (ids, kind, time, tries, the CRM's error)."""
    return {
        "activity_id": activity.activity_id,
        "kind": activity.kind,
        "prospect_crm_id": activity.prospect_crm_id,
        "occurred_at": iso(activity.occurred_at),
        "attempts": activity.attempts,
        "error_code": activity.error_code,
        "error_message": activity.error_message,
    }


@audited("push")
def push_command(
    customer: str = typer.Argument(
        ..., metavar="CUSTOMER", help="Customer id (the field map's file name)."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Push at most N activities."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would be sent (a sample); send nothing."
    ),
    sample: int = typer.Option(
        DRY_RUN_SAMPLE, "--sample", min=0, help="With --dry-run: how many records to show."
    ),
    show_all: bool = typer.Option(False, "--all", help="With --dry-run: show every record."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    trigger: str = typer.Option("manual", hidden=True),
) -> None:
    """Write pending call and email activities back to the CRM as Tasks (upsert, exactly once)."""
    from connector.cli.progress import count_progress
    from connector.fieldmap import load_field_map
    from connector.runtime import connect_crm
    from connector.schedule.leases import hold_lease
    from connector.sync.push import preview_push, push

    settings = settings_now()
    fm = load_field_map(customer, settings.field_maps_dir)
    store = open_store(customer, settings)
    if dry_run:
        plan = preview_push(fm, store, limit=limit, sample=None if show_all else sample)
        if plan.records:
            console.print_json(data={"object": fm.activities.object, "records": plan.records})
        shown = (
            ""
            if len(plan.records) == plan.total
            else f" (showing the first {len(plan.records)}; --sample N or --all for more)"
        )
        console.print(
            f"{plan.total} Task records would be upserted{shown}; nothing sent (--dry-run)"
        )
        return
    crm = connect_crm(fm, store, settings)
    with hold_lease(store) as lease:
        if lease is None:
            raise StoreError(
                "another worker is syncing or pushing this customer right now; try again later",
                customer=customer,
            )
        total = len(store.pending_activity_ids(limit))
        with count_progress(console, "pushing activities", total, progress) as bar:
            run = push(
                fm,
                store,
                crm,
                limit=limit,
                trigger=trigger,
                fence=lease.token,
                on_batch=lambda o: bar.advance(o.pushed + o.failed + o.retry + o.skipped),
            )
    console.print(push_table(run, f"push for {customer}"))


def push_table(run: SyncRun, title: str) -> Table:
    """A two-column summary of one push."""
    from connector.cli.progress import summary_table

    rows: list[tuple[str, object]] = [
        ("run", run.run_id[:12]),
        ("status", run.status),
        ("activities pushed", run.activities_pushed),
        ("activities parked (see `activities failed`)", run.activities_failed),
        ("API calls", run.api_calls),
    ]
    if run.error:
        rows.append(("error", run.error))
    return summary_table(title, rows)


def register(root: typer.Typer) -> None:
    """Add `connector push` to the root app (`activities` is mounted with add_typer)."""
    root.command("push")(push_command)
