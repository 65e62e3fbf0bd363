"""`connector tokens issue | list | revoke`: scoped, expiring credentials for the web API.

A token carries a role (operator, platform, call-handler), one customer, optionally one call
list, and an expiry. `issue` prints the token once; the store keeps only its hash, so a lost
token is revoked and issued again, never recovered. What each role may touch is decided in
`connector.web.access`. Issuing and revoking are recorded in the customer's audit trail.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from connector.cli.common import console, open_engine
from connector.errors import ConfigError

if TYPE_CHECKING:
    from connector.store.models import AccessToken

app = typer.Typer(help="Issue, list and revoke scoped, expiring API tokens.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    """Mount `tokens` on the root command."""
    root.add_typer(app, name="tokens")


@app.command("issue")
def issue(
    role: str = typer.Option(..., "--role", help="operator, platform or call-handler."),
    customer: str = typer.Option(..., "--customer", help="The one customer the token may read."),
    name: str = typer.Option(..., "--name", help="Who or what holds it; shown in the audit."),
    ttl: str = typer.Option("8h", "--ttl", help="Lifetime, e.g. 30m, 8h, 7d (at most 90d)."),
    call_list: str | None = typer.Option(
        None, "--call-list", help="Call-handler tokens only: the one call list (report id)."
    ),
) -> None:
    """Issue a token and print it once (it cannot be shown again)."""
    from connector.fieldmap.schedule import parse_duration
    from connector.privacy.audit import cli_actor, record_audit
    from connector.store import TenantStore
    from connector.store.tokens import TokenStore

    try:
        lifetime = parse_duration(ttl)
    except ValueError as exc:
        raise ConfigError(f"--ttl: {exc}") from None
    engine = open_engine()
    actor = cli_actor()
    issued = TokenStore(engine).issue(
        role=role,
        customer_id=customer,
        name=name,
        ttl=lifetime,
        created_by=actor,
        call_list=call_list,
    )
    detail = {"name": name, "role": role, "expires_at": _iso(issued.record.expires_at)}
    record_audit(TenantStore(engine, customer), actor, "token_issue", detail)
    console.print(
        f"issued {role} token [bold]{name}[/] for {customer}"
        + (f" (call list {call_list})" if call_list else "")
        + f", expires {_iso(issued.record.expires_at)}; it is shown only now:",
        highlight=False,
    )
    print(issued.plaintext)


@app.command("list")
def list_tokens(
    customer: str | None = typer.Option(None, "--customer", help="Only this customer's tokens."),
) -> None:
    """Every token: name, role, scope, expiry and state (never the secret)."""
    from connector.store.tokens import TokenStore

    tokens = TokenStore(open_engine()).list(customer)
    if not tokens:
        console.print("no tokens")
        return
    console.print(_table(tokens, datetime.now(UTC)))


@app.command("revoke")
def revoke(
    name: str = typer.Argument(..., help="The token's name (or id)."),
) -> None:
    """Revoke a token now; requests carrying it get 401 from then on."""
    from connector.privacy.audit import cli_actor, record_audit
    from connector.store import TenantStore
    from connector.store.tokens import TokenStore

    engine = open_engine()
    store = TokenStore(engine)
    live = [t for t in store.list() if name in (t.name, t.token_id) and t.revoked_at is None]
    actor = cli_actor()
    count = store.revoke(name, revoked_by=actor)
    if count == 0:
        raise ConfigError(f"no live token is named {name!r}; see `connector tokens list`")
    for token in live:
        record_audit(TenantStore(engine, token.customer_id), actor, "token_revoke", {"name": name})
    console.print(f"revoked {count} token(s) named {name}", highlight=False)


def _iso(when: datetime) -> str:
    from connector.store.admin import as_utc

    return as_utc(when).isoformat(timespec="seconds").replace("+00:00", "Z")


def _state(token: AccessToken, now: datetime) -> str:
    from connector.store.tokens import is_live

    if token.revoked_at is not None:
        return "revoked"
    return "live" if is_live(token, now) else "expired"


def _table(tokens: list[AccessToken], now: datetime) -> Table:
    table = Table("name", "id", "role", "customer", "call list", "expires", "state")
    for token in tokens:
        table.add_row(
            token.name,
            token.token_id,
            token.role,
            token.customer_id,
            token.call_list or "-",
            _iso(token.expires_at),
            _state(token, now),
        )
    return table
