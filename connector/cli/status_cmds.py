"""`connector status`, `connector pause`, `connector resume`: the fleet at a glance.

Renders `connector.ops` data; the web API (`GET /api/customers`) serves the same data as JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from connector.cli.common import console, open_engine
from connector.cli.jsonout import JSON_OPTION
from connector.config import get_settings
from connector.ops.render import ago, percent, span

if TYPE_CHECKING:
    from connector.ops.status import CustomerStatus


def status(
    customer: str | None = typer.Argument(
        None, help="One customer in depth; omit for every customer, trouble first."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Every customer's state, last run, next run, API usage and backlog (or one in depth)."""
    from connector.ops.fleet import load_customer, load_fleet, require_known_customer

    settings = get_settings()
    engine = open_engine(settings)
    share = settings.api_budget_share
    now = datetime.now(UTC)
    if customer is None:
        fleet = load_fleet(engine, settings.field_maps_dir, budget_share=share)
        if as_json:
            print(json.dumps({"customers": [s.to_json() for s in fleet]}, indent=2))
            return
        if not fleet:
            console.print(f"no customers yet: add a field map to {settings.field_maps_dir}")
            return
        console.print(fleet_table(fleet, now))
        return
    require_known_customer(engine, settings.field_maps_dir, customer)
    one = load_customer(engine, customer, budget_share=share)
    if as_json:
        print(json.dumps(one.to_json(detail=True), indent=2))
        return
    console.print(customer_detail(one, now))
    console.print(runs_table(one, now))


def fleet_table(fleet: list[CustomerStatus], now: datetime) -> Table:
    """One row a customer, readable at 80 columns."""
    table = Table(title=f"{len(fleet)} customers, trouble first", title_justify="left")
    for name, justify in (
        ("customer", "left"),
        ("state", "left"),
        ("last run", "left"),
        ("next", "left"),
        ("API", "right"),
        ("rep/h", "right"),
        ("rej", "right"),
        ("parked", "right"),
        ("resync", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in fleet:
        table.add_row(
            s.customer_id,
            _state_word(s),
            _last_run_word(s, now),
            ago(s.next_due_at, now) if s.state in ("active", "failing") else "-",
            percent(s.api.share_of_limit),
            percent(s.report_runs.share_used) if s.report_runs else "-",
            str(s.rejected_last_run),
            str(s.parked_activities),
            str(s.pending_resyncs),
        )
    return table


def customer_detail(s: CustomerStatus, now: datetime) -> Table:
    """One customer as a vertical list of facts."""
    table = Table(title=f"customer {s.customer_id}", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("state", _state_word(s))
    if s.reason:
        table.add_row("reason", s.reason)
    if s.paused_by:
        table.add_row("paused by", f"{s.paused_by}, {ago(s.paused_at, now)}")
    if s.erasure_due_at:
        table.add_row("erasure due", f"{s.erasure_due_at:%Y-%m-%d %H:%M} UTC")
    table.add_row("connected", "yes" if s.connected else "no")
    table.add_row("next run", ago(s.next_due_at, now))
    table.add_row("failures in a row", str(s.consecutive_failures))
    table.add_row(
        "API usage",
        f"{s.api.used if s.api.used is not None else '-'} of "
        f"{s.api.limit if s.api.limit is not None else '-'} "
        f"({percent(s.api.share_of_limit)} of the org's day, "
        f"{percent(s.api.share_of_budget)} of the read budget)",
    )
    table.add_row("report runs this hour", _report_runs_word(s, now))
    table.add_row("rejected (last pull)", str(s.rejected_last_run))
    table.add_row("activities", f"{s.pending_activities} waiting, {s.parked_activities} parked")
    table.add_row("pending resyncs", str(s.pending_resyncs))
    return table


def runs_table(s: CustomerStatus, now: datetime) -> Table:
    """The customer's recent runs, newest first, in at most 80 columns."""
    table = Table(title=f"last {len(s.recent_runs)} runs", title_justify="left")
    for name in ("started", "kind", "status", "took", "rows", "written", "API", "error"):
        table.add_column(name)
    for run in s.recent_runs:
        took = run.duration_seconds
        table.add_row(
            ago(run.started_at, now),
            run.kind,
            run.status,
            span(took) if took is not None else "-",
            str(run.rows_read if run.kind == "pull" else run.activities_pushed),
            str(run.prospects_written) if run.kind == "pull" else "-",
            str(run.api_calls),
            run.error_code or "",
        )
    return table


def _report_runs_word(s: CustomerStatus, now: datetime) -> str:
    runs = s.report_runs
    if runs is None:
        return "- (no pull has read the org's hourly report-run allowance yet)"
    return (
        f"{runs.used} of {runs.limit} used, {runs.remaining} left "
        f"(synchronous, whole org; read {ago(runs.seen_at, now)})"
    )


def _state_word(s: CustomerStatus) -> str:
    colour = {"active": "green", "paused": "yellow"}.get(s.state, "red")
    word = s.state.replace("_", " ")
    return f"[{colour}]{word}[/]" + ("" if s.connected else " (not connected)")


def _last_run_word(s: CustomerStatus, now: datetime) -> str:
    run = s.last_run
    if run is None:
        return "never"
    code = f" {run.error_code}" if run.error_code else ""
    return f"{run.status}{code} {ago(run.started_at, now)}"


def pause(
    customer: str = typer.Argument(..., help="The customer to pause."),
    reason: str = typer.Option(..., "--reason", help="Why (shown in `connector status`)."),
) -> None:
    """Stop pulling and pushing a customer until `connector resume`; activities still queue."""
    from connector.ops.fleet import require_known_customer
    from connector.ops.pause import pause_customer
    from connector.privacy.audit import cli_actor
    from connector.store.admin import AdminStore
    from connector.store.tenant import TenantStore

    settings = get_settings()
    engine = open_engine(settings)
    require_known_customer(engine, settings.field_maps_dir, customer)
    changed = pause_customer(
        TenantStore(engine, customer), AdminStore(engine), actor=cli_actor(), reason=reason
    )
    console.print(f"{customer}: paused" if changed else f"{customer}: already paused")


def resume(customer: str = typer.Argument(..., help="The customer to resume.")) -> None:
    """Let a paused customer sync again (at its next scheduled slot, or `connector sync`)."""
    from connector.ops.fleet import require_known_customer
    from connector.ops.pause import resume_customer
    from connector.privacy.audit import cli_actor
    from connector.store.admin import AdminStore
    from connector.store.tenant import TenantStore

    settings = get_settings()
    engine = open_engine(settings)
    require_known_customer(engine, settings.field_maps_dir, customer)
    changed = resume_customer(TenantStore(engine, customer), AdminStore(engine), actor=cli_actor())
    console.print(f"{customer}: resumed" if changed else f"{customer}: was not paused")


def alerts(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would be announced; send and record nothing."
    ),
) -> None:
    """Announce now every incident that opened or cleared (the scheduler does this each pass)."""
    from connector.errors import ConfigError
    from connector.ops.alerts import incidents_of, plan_notices
    from connector.ops.fleet import load_fleet
    from connector.ops.notify import announced, get_alert_settings, scheduled_alerts
    from connector.store.tenant import TenantStore

    settings = get_settings()
    engine = open_engine(settings)
    share = settings.api_budget_share
    if dry_run:
        failing_after = get_alert_settings().failing_after
        for s in load_fleet(engine, settings.field_maps_dir, budget_share=share):
            found = incidents_of(s, failing_after=failing_after)
            for notice in plan_notices(found, announced(TenantStore(engine, s.customer_id))):
                console.print(f"would send: {notice.title}: {notice.body}")
        return
    send = scheduled_alerts(engine, settings.field_maps_dir, budget_share=share)
    if send is None:
        raise ConfigError("no alert channel: set CONNECTOR_ALERT_URLS (Apprise URLs)")
    sent = send()
    for notice in sent:
        console.print(f"sent: {notice.title}")
    console.print(f"{len(sent)} alert(s) sent")


def register(app: typer.Typer) -> None:
    """Add the fleet commands to the `connector` app."""
    app.command("status")(status)
    app.command("alerts")(alerts)
    app.command("pause")(pause)
    app.command("resume")(resume)
