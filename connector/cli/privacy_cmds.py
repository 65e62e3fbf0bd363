"""`connector export`, `erase`, `forget`, `retention run` and `audit`; plus `audited` for others.

Every command here records an audit event with actor `cli:<OS user>`. Output names kinds and
counts, never the identifiers of a data subject. A customer the installation does not know
(no field map, connection or stored rows) is refused before anything is written. A privacy
command that did only part of its job says what is left to do by hand and exits 7.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from connector.cli import exit_codes
from connector.cli.common import (
    console,
    err_console,
    is_known,
    open_engine,
    require_customer,
    settings_now,
)
from connector.cli.jsonout import JSON_OPTION, iso, print_json
from connector.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from connector.privacy.erase import ErasureOutcome
    from connector.privacy.subjects import Subject

F = TypeVar("F", bound=Callable[..., Any])

#: Audited actions whose command may make a new store (the first connection of a customer).
CREATES_STORE = frozenset({"auth_jwt", "auth_login"})


def audited(action: str) -> Callable[[F], F]:
    """Decorate a Typer command taking `customer` so each run is audited with its outcome.

    Usage: `@audited("sync")` above `def sync(customer: str = ...)`. An unknown customer is
    refused first (ConfigError, with a "did you mean"), so a typo leaves no audit row. The
    event's actor is `cli:<OS user>`; its detail the outcome and error class, nothing else.
    Commands that connect a customer (CREATES_STORE) may name a new one: it is audited once
    the connection succeeded.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            customer = kwargs.get("customer")
            if not customer:
                return func(*args, **kwargs)
            from connector.privacy.audit import audit_action, cli_actor, record_audit
            from connector.privacy.tombstone import refuse_if_erased
            from connector.store import TenantStore

            engine = open_store_engine(customer, create=action in CREATES_STORE)
            store = TenantStore(engine, customer)
            refuse_if_erased(engine, customer, cli_actor(), action)
            if action in CREATES_STORE and not is_known(customer, engine):
                # connecting a new customer: audited once it exists, so a typo leaves nothing
                result = func(*args, **kwargs)
                record_audit(store, cli_actor(), action, {"outcome": "ok", "new_customer": True})
                return result
            require_customer(customer, engine=engine)
            with audit_action(store, cli_actor(), action):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def open_known_store(customer: str, *, command: str = "a command") -> Any:
    """The customer's partition, once the customer is known to exist (else ConfigError) and
    was not erased (else ErasedCustomer, after one refused-attempt audit line naming `command`)."""
    from connector.privacy.audit import cli_actor
    from connector.privacy.tombstone import refuse_if_erased
    from connector.store import TenantStore

    engine = open_store_engine(customer)
    refuse_if_erased(engine, customer, cli_actor(), command)
    require_customer(customer, settings_now(), engine)
    return TenantStore(engine, customer)


def open_store_engine(customer: str, *, create: bool = False) -> Engine:
    """The store's engine; when there is no store, an unknown customer is named first."""
    try:
        return open_engine(create=create)
    except ConfigError:
        require_customer(customer, settings_now())  # a typo says so before "no store"
        raise


def _subject(
    email: str | None, phone: str | None, crm_id: str | None, region: str | None
) -> Subject | None:
    from connector.privacy.subjects import parse_subject

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


def _export_dir(out: Path) -> Path:
    """Make the (new or empty) export directory, readable by its owner only."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; name a new or empty directory")
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the export directory {out}: {exc.strerror or exc}; "
            "choose a writable --out"
        ) from exc
    return out


_EMAIL = typer.Option(None, "--email", "--subject", help="The data subject's email address.")
_PHONE = typer.Option(None, "--phone", help="The data subject's phone number (+country code).")
_CRM_ID = typer.Option(None, "--crm-id", help="The data subject's CRM record id.")
_PROGRESS = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.")
_REGION = typer.Option(None, "--region", help="Region for a phone without +country (e.g. US).")


def export(
    customer: str = typer.Argument(..., metavar="CUSTOMER", help="Customer id."),
    out: Path = typer.Option(
        ...,
        "--out",
        help="New or empty directory for the export (made with mode 0700); personal data.",
    ),
    email: str | None = _EMAIL,
    phone: str | None = _PHONE,
    crm_id: str | None = _CRM_ID,
    region: str | None = _REGION,
    progress: bool = _PROGRESS,
) -> None:
    """Export everything held for the customer (or one data subject) as JSON Lines + manifest."""
    from connector.cli.progress import count_progress
    from connector.privacy.audit import cli_actor
    from connector.privacy.export import export_customer, export_subject
    from connector.store.models import TENANT_TABLES
    from connector.store.privacy_rows import SUBJECT_TABLES

    subject = _subject(email, phone, crm_id, region)
    store = open_known_store(customer, command="export")
    out_dir = _export_dir(out)
    tables = len(TENANT_TABLES) if subject is None else len(SUBJECT_TABLES)
    try:
        with count_progress(console, "exporting tables", tables, progress) as bar:
            if subject is None:
                manifest = export_customer(store, out_dir, cli_actor(), lambda _: bar.advance())
            else:
                manifest = export_subject(
                    store, subject, out_dir, cli_actor(), lambda _: bar.advance()
                )
    except OSError as exc:
        raise ConfigError(
            f"cannot write the export to {out_dir}: {exc.strerror or exc}; choose another --out",
            customer=customer,
        ) from exc
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
    customer: str | None = typer.Argument(
        None, metavar="CUSTOMER", help="Customer id to offboard."
    ),
    on: str | None = typer.Option(
        None, "--on", help="Erase on this date (YYYY-MM-DD, UTC), at most 10 days ahead."
    ),
    yes: bool = typer.Option(False, "--yes", help="Do not ask before erasing now."),
    pending: bool = typer.Option(False, "--pending", help="List requested erasures."),
    run_due: bool = typer.Option(False, "--run-due", help="Run every erasure that is due."),
    as_json: bool = typer.Option(
        False, "--json", help="With --pending: print JSON (stable keys, see the README)."
    ),
    progress: bool = _PROGRESS,
) -> None:
    """Offboard a customer: revoke its CRM tokens and delete all its data (now or by --on)."""
    from connector.privacy.audit import cli_actor
    from connector.privacy.erase import due_time, request_erasure, run_due_erasures
    from connector.store.admin import as_utc
    from connector.store.models import utcnow

    if as_json and not pending:
        raise ConfigError("--json lists requested erasures: use it with --pending")
    if pending or run_due:
        engine = open_engine()
        if pending:
            _print_pending(engine, as_json=as_json)
        else:
            from connector.cli.progress import count_progress

            with count_progress(console, "erasing", None, progress) as bar:
                outcomes = run_due_erasures(
                    engine, on_start=bar.set_total, on_done=lambda _: bar.advance()
                )
            _print_outcomes(outcomes)
        return
    if customer is None:
        raise ConfigError("name the CUSTOMER to erase, or use --pending or --run-due")
    from connector.privacy.tombstone import refuse_if_erased

    due_on = _parse_on(on)
    engine = open_store_engine(customer)
    refuse_if_erased(engine, customer, cli_actor(), "erase")
    require_customer(customer, settings_now(), engine)
    now = utcnow()
    due_now = due_time(due_on, now) <= now  # refuses a date more than 10 days ahead
    if due_now and not yes:
        _confirm_erasure(customer)
    record = request_erasure(engine, customer, cli_actor(), due_on, now)
    if as_utc(record.due_at) > now:
        console.print(
            f"erasure of {customer} scheduled for {as_utc(record.due_at):%Y-%m-%d %H:%M} UTC"
        )
        return
    from connector.privacy.erase import erase_customer

    _print_outcomes([erase_customer(engine, customer, now)])


def _confirm_erasure(customer: str) -> None:
    """Ask before erasing now; refuse without a terminal to ask on (use --yes there)."""
    if not sys.stdin.isatty():
        raise ConfigError(
            "erasing now needs a yes: stdin is not a terminal, so pass --yes (nothing was erased)",
            customer=customer,
        )
    if not typer.confirm(f"Erase ALL data of customer {customer!r} now? This cannot be undone"):
        err_console.print(f"customer {customer!r}: not erased (you said no)", highlight=False)
        raise typer.Exit(exit_codes.FAILED)


def _print_pending(engine: Engine, *, as_json: bool = False) -> None:
    from connector.privacy.erase import pending_erasures

    if as_json:
        items = [
            {
                "customer": item.customer_id,
                "requested_at": iso(item.requested_at),
                "due_at": iso(item.due_at),
                "requested_by": item.requested_by,
                "overdue": item.overdue,
            }
            for item in pending_erasures(engine)
        ]
        print_json({"erasures": items})
        return
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
    """Say exactly what each erasure did; exit 5 if one failed, 7 if one was only partly done."""
    if not outcomes:
        console.print("no erasure is due")
    code = exit_codes.OK
    for outcome in outcomes:
        who = outcome.customer_id
        if outcome.error:
            code = exit_codes.STORE
            err_console.print(
                f"[red]erasure of {who} failed:[/] {escape(outcome.error)}; nothing was deleted "
                "and the erasure stays pending (`connector erase --run-due` retries it)",
                highlight=False,
            )
            continue
        console.print(
            f"erased {who}: {outcome.rows_deleted} rows deleted from "
            f"{sum(1 for n in outcome.tables.values() if n)} tables; the customer is paused",
            highlight=False,
        )
        if outcome.revoke_error:
            code = max(code, exit_codes.PARTIAL)
            err_console.print(
                f"[yellow]customer {who!r}: token revocation failed[/] "
                f"({escape(outcome.revoke_error)}): the CRM token may still be valid. Revoke it "
                "by hand in the org (Setup > Connected Apps OAuth Usage > the app > Revoke, or "
                "the integration user's OAuth Connected Apps)",
                highlight=False,
            )
        else:
            console.print(f"revoked {who}'s CRM tokens at the CRM", highlight=False)
    if code:
        raise typer.Exit(code)


def forget(
    customer: str = typer.Argument(..., metavar="CUSTOMER", help="Customer id."),
    email: str | None = _EMAIL,
    phone: str | None = _PHONE,
    crm_id: str | None = _CRM_ID,
    region: str | None = _REGION,
) -> None:
    """Forget one data subject: delete their rows and skip them in every later sync."""
    from connector.privacy.audit import cli_actor
    from connector.privacy.forget import forget_subject

    subject = _subject(email, phone, crm_id, region)
    if subject is None:
        raise typer.BadParameter("give one of --email, --phone or --crm-id")
    store = open_known_store(customer, command="forget")
    outcome = forget_subject(store, subject, cli_actor(), region=region)
    if outcome.kind == "crm_id" and outcome.prospects == 0 and not any(outcome.deleted.values()):
        # a CRM id names one record: matching nothing is most likely a mistyped id
        console.print(
            f"[red]no stored record matched the CRM id[/] given for {customer}: nothing was "
            "deleted; later syncs will skip the id anyway. Check the id (15 characters are "
            "case-sensitive, 18 are not) and the customer",
            highlight=False,
        )
        raise typer.Exit(1)
    deleted = ", ".join(f"{count} {table}" for table, count in outcome.deleted.items() if count)
    console.print(
        f"forgot a subject of {customer} by {outcome.kind}: matched {outcome.prospects} prospect "
        f"record(s); deleted {deleted or 'no stored rows'}; stored {outcome.hashes} keyed "
        "hash(es) so later syncs, imports and pushes skip them",
        highlight=False,
    )


retention_app = typer.Typer(help="Delete data past its retention age.", no_args_is_help=True)


@retention_app.command("run")
def retention_run(
    customer: str | None = typer.Argument(
        None, metavar="CUSTOMER", help="Customer id (default: every customer)."
    ),
    progress: bool = _PROGRESS,
) -> None:
    """Delete activity metadata older than CONNECTOR_ACTIVITY_RETENTION_DAYS (365), and the
    change feed's removals older than CONNECTOR_CHANGE_LOG_DAYS (30)."""
    from connector.cli.progress import count_progress
    from connector.privacy.audit import cli_actor
    from connector.privacy.retention import run_retention

    engine = open_engine()
    if customer:
        require_customer(customer, settings_now(), engine)
    with count_progress(console, "applying retention", None, progress) as bar:
        counts = run_retention(
            engine,
            [customer] if customer else None,
            actor=cli_actor(),
            on_start=bar.set_total,
            on_customer=lambda _: bar.advance(),
        )
    for name, count in counts.items():
        console.print(f"{name}: {count} old activities deleted")


def audit(
    customer: str = typer.Argument(..., metavar="CUSTOMER", help="Customer id."),
    limit: int = typer.Option(50, "--limit", "-n", help="How many recent events to list."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the customer's audit trail, newest first."""
    from connector.store.admin import as_utc

    store = open_known_store(customer, command="audit")
    if as_json:
        events = [
            {"at": iso(e.at), "actor": e.actor, "action": e.action, "detail": e.detail}
            for e in store.audit_events(limit)
        ]
        print_json({"customer": customer, "events": events})
        return
    table = Table(title=f"audit trail of {customer}")
    for name in ("at (UTC)", "actor", "action", "detail"):
        table.add_column(name)
    for event in store.audit_events(limit):
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
