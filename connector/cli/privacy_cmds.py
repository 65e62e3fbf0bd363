"""`connector export`, `erase`, `forget`, `retention run` and `audit`; plus `audited` for others.

Every command here records an audit event with actor `cli:<OS user>`. Output names kinds and
counts, never the identifiers of a data subject.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.table import Table

from connector.cli.common import console, open_engine, open_store
from connector.errors import ConfigError
from connector.privacy.audit import audit_action, cli_actor
from connector.privacy.erase import (
    ErasureOutcome,
    due_time,
    erase_customer,
    pending_erasures,
    request_erasure,
    run_due_erasures,
)
from connector.privacy.export import export_customer, export_subject
from connector.privacy.forget import forget_subject
from connector.privacy.retention import run_retention
from connector.privacy.subjects import Subject, parse_subject
from connector.privacy.tombstone import refuse_if_erased
from connector.store.admin import as_utc
from connector.store.models import utcnow

F = TypeVar("F", bound=Callable[..., Any])


def audited(action: str) -> Callable[[F], F]:
    """Decorate a Typer command taking `customer` so each run is audited with its outcome.

    Usage (the lead's commands): `@audited("sync")` above `def sync(customer: str = ...)`.
    The event's actor is `cli:<OS user>`; its detail the outcome and error class, nothing else.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            customer = kwargs.get("customer")
            if not customer:
                return func(*args, **kwargs)
            with audit_action(open_store(customer, command=action), cli_actor(), action):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _subject(
    email: str | None, phone: str | None, crm_id: str | None, region: str | None
) -> Subject | None:
    given = [
        (kind, value)
        for kind, value in (("email", email), ("phone", phone), ("crm_id", crm_id))
        if value
    ]
    if len(given) > 1:
        raise typer.BadParameter("give only one of --email/--subject, --phone, --crm-id")
    if not given:
        return None
    kind, value = given[0]
    return parse_subject(kind, value, region=region)


_EMAIL = typer.Option(None, "--email", "--subject", help="The data subject's email address.")
_PHONE = typer.Option(None, "--phone", help="The data subject's phone number (+country code).")
_CRM_ID = typer.Option(None, "--crm-id", help="The data subject's CRM record id.")
_REGION = typer.Option(None, "--region", help="Region for a phone without +country (e.g. US).")


def export(
    customer: str = typer.Argument(..., help="Customer id."),
    out: str | None = typer.Option(None, "--out", help="New directory for the export."),
    email: str | None = _EMAIL,
    phone: str | None = _PHONE,
    crm_id: str | None = _CRM_ID,
    region: str | None = _REGION,
) -> None:
    """Export everything held for the customer (or one data subject) as JSON Lines + manifest."""
    subject = _subject(email, phone, crm_id, region)
    out_dir = Path(out or f"export-{customer}-{utcnow():%Y%m%dT%H%M%SZ}")
    store = open_store(customer, command="export")
    if subject is None:
        manifest = export_customer(store, out_dir, cli_actor())
    else:
        manifest = export_subject(store, subject, out_dir, cli_actor())
    table = Table(title=f"export of {customer} ({manifest['scope']}) in {out_dir}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("sha256")
    for entry in manifest["files"]:
        table.add_row(entry["file"], str(entry["rows"]), entry["sha256"][:16] + "…")
    console.print(table)


def _parse_on(text: str | None) -> date | datetime | None:
    if text is None:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("use YYYY-MM-DD or an ISO date-time", param_hint="--on") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def erase(
    customer: str | None = typer.Argument(None, help="Customer id to offboard."),
    on: str | None = typer.Option(
        None, "--on", help="Erase on this date (YYYY-MM-DD, UTC), at most 10 days ahead."
    ),
    yes: bool = typer.Option(False, "--yes", help="Do not ask before erasing now."),
    pending: bool = typer.Option(False, "--pending", help="List requested erasures."),
    run_due: bool = typer.Option(False, "--run-due", help="Run every erasure that is due."),
) -> None:
    """Offboard a customer: revoke its CRM tokens and delete all its data (now or by --on)."""
    engine = open_engine()
    if pending:
        _print_pending(engine)
        return
    if run_due:
        _print_outcomes(run_due_erasures(engine))
        return
    if customer is None:
        raise ConfigError("name the CUSTOMER to erase, or use --pending or --run-due")
    refuse_if_erased(engine, customer, cli_actor(), "erase")
    now = utcnow()
    due_on = _parse_on(on)
    due_now = due_time(due_on, now) <= now  # refuses a date more than 10 days ahead
    if due_now and not yes:
        typer.confirm(
            f"Erase ALL data of customer {customer!r} now? This cannot be undone", abort=True
        )
    record = request_erasure(engine, customer, cli_actor(), due_on, now)
    if as_utc(record.due_at) > now:
        console.print(
            f"erasure of {customer} scheduled for {as_utc(record.due_at):%Y-%m-%d %H:%M} UTC"
        )
        return
    _print_outcomes([erase_customer(engine, customer, now)])


def _print_pending(engine: Any) -> None:
    table = Table(title="requested erasures")
    for name in ("customer", "requested (UTC)", "due (UTC)", "requested by", "overdue"):
        table.add_column(name)
    for item in pending_erasures(engine):
        table.add_row(
            item.customer_id,
            f"{item.requested_at:%Y-%m-%d %H:%M}",
            f"{item.due_at:%Y-%m-%d %H:%M}",
            item.requested_by,
            "[bold red]OVERDUE[/]" if item.overdue else "",
        )
    console.print(table)


def _print_outcomes(outcomes: list[ErasureOutcome]) -> None:
    if not outcomes:
        console.print("no erasure is due")
    failed = False
    for outcome in outcomes:
        if outcome.error:
            failed = True
            console.print(f"[red]erasure of {outcome.customer_id} failed:[/] {outcome.error}")
            continue
        revoked = (
            f"; token revocation failed: {outcome.revoke_error}" if outcome.revoke_error else ""
        )
        console.print(f"erased {outcome.customer_id}: {outcome.rows_deleted} rows deleted{revoked}")
    if failed:
        raise typer.Exit(5)


def forget(
    customer: str = typer.Argument(..., help="Customer id."),
    email: str | None = _EMAIL,
    phone: str | None = _PHONE,
    crm_id: str | None = _CRM_ID,
    region: str | None = _REGION,
) -> None:
    """Forget one data subject: delete their rows and skip them in every later sync."""
    subject = _subject(email, phone, crm_id, region)
    if subject is None:
        raise typer.BadParameter("give one of --email, --phone or --crm-id")
    outcome = forget_subject(
        open_store(customer, command="forget"), subject, cli_actor(), region=region
    )
    deleted = ", ".join(f"{table} {count}" for table, count in outcome.deleted.items())
    console.print(
        f"forgot a subject of {customer} by {outcome.kind}: {outcome.prospects} prospect "
        f"record(s); deleted {deleted}; later syncs will skip them"
    )


retention_app = typer.Typer(help="Delete data past its retention age.", no_args_is_help=True)


@retention_app.command("run")
def retention_run(
    customer: str | None = typer.Argument(None, help="Customer id (default: every customer)."),
) -> None:
    """Delete activity metadata older than CONNECTOR_ACTIVITY_RETENTION_DAYS (365)."""
    counts = run_retention(open_engine(), [customer] if customer else None, actor=cli_actor())
    for name, count in counts.items():
        console.print(f"{name}: {count} old activities deleted")


def audit(
    customer: str = typer.Argument(..., help="Customer id."),
    limit: int = typer.Option(50, "--limit", "-n", help="How many recent events to list."),
) -> None:
    """List the customer's audit trail, newest first."""
    table = Table(title=f"audit trail of {customer}")
    for name in ("at (UTC)", "actor", "action", "detail"):
        table.add_column(name)
    for event in open_store(customer, command="audit").audit_events(limit):
        table.add_row(
            f"{as_utc(event.at):%Y-%m-%d %H:%M:%S}", event.actor, event.action, event.detail or ""
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Mount the privacy commands on the `connector` app."""
    app.command()(export)
    app.command()(erase)
    app.command()(forget)
    app.command()(audit)
    app.add_typer(retention_app, name="retention")
