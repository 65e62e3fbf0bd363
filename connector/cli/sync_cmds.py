"""`connector sync` and `connector runs`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from connector.cli.common import console, open_engine, settings_now
from connector.cli.jsonout import JSON_OPTION, iso, print_json
from connector.cli.privacy_cmds import audited, open_known_store
from connector.errors import StoreError

if TYPE_CHECKING:
    from connector.store import TenantStore
    from connector.store.models import SyncRun


@audited("sync")
def sync(
    customer: str = typer.Argument(
        ..., metavar="CUSTOMER", help="Customer id (the field map's file name)."
    ),
    full: bool = typer.Option(
        False, "--full", help="Start afresh: ignore an interrupted run's checkpoints."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
    trigger: str = typer.Option("manual", hidden=True),
) -> None:
    """Pull the customer's report folder into the store (resuming an interrupted run)."""
    from connector.cli.progress import pull_progress, run_table
    from connector.fieldmap import load_field_map
    from connector.runtime import connect_crm, suppression_check
    from connector.schedule.due import Rule, next_due
    from connector.schedule.leases import hold_lease
    from connector.store import TenantStore
    from connector.sync.pull import PullOptions, pull

    settings = settings_now()
    fm = load_field_map(customer, settings.field_maps_dir)
    store = TenantStore(open_engine(settings), customer)
    crm = connect_crm(fm, store, settings)
    with hold_lease(store) as lease, pull_progress(console, enabled=progress) as observer:
        if lease is None:
            raise StoreError(
                "another worker is syncing this customer right now; try again when it is done "
                "(`connector runs` shows it)",
                customer=customer,
            )
        options = PullOptions(
            trigger=trigger,
            full=full,
            suppressed=suppression_check(store),
            observer=observer,
            fence=lease.token,
        )
        run = pull(fm, store, crm, options)
        # a successful sync by hand counts as the scheduled one: the next is due a period later
        store.save_schedule_state(
            token=lease.token,
            next_due_at=next_due(Rule.of(fm.schedule), customer, run.started_at),
            last_run_at=run.started_at,
            consecutive_failures=0,
        )
    console.print(run_table(run, f"pull for {customer}"))
    _print_rejects(store, run.run_id)


def _print_rejects(store: TenantStore, run_id: str, limit: int = 10) -> None:
    rejects = store.rejected_rows(run_id)
    if not rejects:
        return
    table = Table(title=f"rejected rows ({len(rejects)}; first {min(limit, len(rejects))})")
    table.add_column("report")
    table.add_column("CRM id")
    table.add_column("reason")
    names = {c.report_id: c.developer_name for c in store.call_lists()}
    for reject in rejects[:limit]:
        table.add_row(names.get(reject.report_id, reject.report_id), reject.crm_id, reject.reason)
    console.print(table)


def runs(
    customer: str = typer.Argument(..., metavar="CUSTOMER", help="Customer id."),
    limit: int = typer.Option(20, "--limit", "-n", help="How many recent runs to list."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the customer's recent runs with trigger, status, counts, API calls and errors."""
    store = open_known_store(customer, command="runs")
    if as_json:
        print_json({"customer": customer, "runs": [run_json(r) for r in store.list_runs(limit)]})
        return
    table = Table(title=f"recent runs of {customer}")
    for name in (
        "started (UTC)",
        "kind",
        "trigger",
        "status",
        "rows",
        "written",
        "removed",
        "rejected",
        "API calls",
        "error",
    ):
        table.add_column(name)
    for run in store.list_runs(limit):
        table.add_row(
            run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            run.kind,
            run.trigger,
            run.status,
            str(run.rows_read),
            str(run.prospects_written + run.activities_pushed),
            str(run.prospects_removed + run.memberships_removed),
            str(run.rejected + run.activities_failed),
            str(run.api_calls),
            (run.error or "")[:80],
        )
    console.print(table)


def run_json(run: SyncRun) -> dict[str, Any]:
    """A run for `connector runs --json`: counters, codes and times, the error as the table
    shows it (its first 80 characters)."""
    return {
        "run_id": run.run_id,
        "kind": run.kind,
        "trigger": run.trigger,
        "full": run.full,
        "status": run.status,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "reports": run.reports,
        "rows_read": run.rows_read,
        "prospects_written": run.prospects_written,
        "prospects_unchanged": run.prospects_unchanged,
        "prospects_removed": run.prospects_removed,
        "memberships_added": run.memberships_added,
        "memberships_removed": run.memberships_removed,
        "rejected": run.rejected,
        "suppressed": run.suppressed,
        "activities_pushed": run.activities_pushed,
        "activities_failed": run.activities_failed,
        "api_calls": run.api_calls,
        "api_used": run.api_used,
        "api_limit": run.api_limit,
        "report_runs_remaining": run.report_runs_remaining,
        "report_runs_max": run.report_runs_max,
        "error_code": run.error_code,
        "error": (run.error or "")[:80] or None,
    }


def register(app: typer.Typer) -> None:
    app.command()(sync)
    app.command()(runs)
