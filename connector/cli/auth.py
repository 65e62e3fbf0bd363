"""`connector auth …` and `connector secrets …`: connect customers without passwords.

    auth keygen            an RSA key and certificate for the JWT flow
    auth jwt CUSTOMER      server-to-server JWT bearer flow with a private key (stored encrypted)
    auth login CUSTOMER    a person consents once in a browser (authorization code + PKCE)
    auth link CUSTOMER     a one-time link the customer's Salesforce admin connects the org with
    auth status [CUSTOMER] who is connected to which org, never a token
    auth revoke CUSTOMER   revoke at Salesforce, delete the stored secrets
    secrets generate-key   a new key for CONNECTOR_SECRET_KEYS
    secrets rotate         re-encrypt every stored secret and data key under the newest key

Defaults for the login URL, client id, username, audience and CA bundle come from the
customer's field map (`crm:` section) when it exists. There is no password option: the
username-password grant is not offered.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from connector.cli import exit_codes
from connector.cli.common import (
    console,
    err_console,
    open_engine,
    open_store,
    require_customer,
    settings_now,
)
from connector.cli.jsonout import print_json
from connector.cli.privacy_cmds import audited
from connector.errors import ConfigError, SecretError

if TYPE_CHECKING:
    from connector.config import Settings
    from connector.crm.salesforce.token_endpoint import TokenResponse
    from connector.store.models import Connection
    from connector.vault import Vault

#: The loopback port of the web flow's callback (http://127.0.0.1:PORT/callback).
DEFAULT_PORT = 8765

auth_app = typer.Typer(
    help="Connect customers to Salesforce with OAuth (JWT bearer or browser + PKCE).",
    no_args_is_help=True,
)
secrets_app = typer.Typer(
    help="The key ring (CONNECTOR_SECRET_KEYS) that encrypts tokens and keys at rest.",
    no_args_is_help=True,
)


def crm_defaults(customer: str, settings: Settings) -> dict[str, Any]:
    """The `crm:` values of the customer's field map, or {} if it has none.

    An existing but invalid field map raises its FieldMapError: fix it first.
    """
    if not (Path(settings.field_maps_dir) / f"{customer}.yaml").is_file():
        return {}
    from connector.fieldmap import load_field_map

    crm = load_field_map(customer, Path(settings.field_maps_dir)).crm
    names = ("login_url", "client_id", "username", "audience", "ca_bundle", "extra_hosts")
    return {name: getattr(crm, name, None) for name in names}


def _pick(given: Any, defaults: dict[str, Any], name: str, option: str) -> str:
    value = given if given is not None else defaults.get(name)
    if value in (None, ""):
        raise ConfigError(f"missing {option}: pass it, or set crm.{name} in the field map")
    return str(value)


def _optional(given: Any, defaults: dict[str, Any], name: str) -> str | None:
    value = given if given is not None else defaults.get(name)
    return str(value) if value not in (None, "") else None


def _connected(customer: str, token: TokenResponse, how: str) -> None:
    console.print(
        f"[green]connected[/] {customer}: org {token.organization_id or '?'} "
        f"at {token.instance_url} ({how})",
        highlight=False,
    )


@auth_app.command("jwt")
@audited("auth_jwt")
def jwt_command(
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer id.")],
    key: Annotated[
        Path,
        typer.Option(
            "--key",
            exists=True,
            dir_okay=False,
            readable=True,
            help="PEM file with the RSA private key whose certificate is on the connected app.",
        ),
    ],
    client_id: Annotated[str | None, typer.Option(help="Consumer key of the app.")] = None,
    username: Annotated[str | None, typer.Option(help="Salesforce user to act as.")] = None,
    login_url: Annotated[str | None, typer.Option(help="Login host (https).")] = None,
    audience: Annotated[
        str | None, typer.Option(help="JWT aud; default login/test.salesforce.com by login host.")
    ] = None,
    ca_bundle: Annotated[Path | None, typer.Option(help="Extra CA file to trust.")] = None,
) -> None:
    """Connect CUSTOMER with the JWT bearer flow; the key is stored encrypted."""
    from connector.crm.salesforce.connect import connect_jwt
    from connector.crm.salesforce.tls import check_crm_url
    from connector.vault import Vault

    settings = settings_now()
    defaults = crm_defaults(customer, settings)
    hosts = defaults.get("extra_hosts") or ()
    login = check_crm_url(
        _pick(login_url, defaults, "login_url", "--login-url"), what="login URL", extra_hosts=hosts
    )
    app_id = _pick(client_id, defaults, "client_id", "--client-id")
    user = _pick(username, defaults, "username", "--username")
    aud = _optional(audience, defaults, "audience")
    bundle = _optional(ca_bundle, defaults, "ca_bundle")
    vault = Vault.from_settings(settings)
    try:
        private_key_pem = key.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise ConfigError(f"cannot read --key {key}: {exc.strerror or exc}") from exc
    token = connect_jwt(
        open_store(customer, settings, create=True),
        vault,
        login_url=login,
        client_id=app_id,
        username=user,
        private_key_pem=private_key_pem,
        audience=aud,
        ca_bundle=bundle,
        timeout=settings.http_timeout,
        extra_hosts=hosts,
    )
    _connected(customer, token, f"JWT bearer as {user}")
    err_console.print(f"the private key is now stored encrypted; {key} is no longer needed")


@auth_app.command("keygen")
def keygen_command(
    out: Annotated[Path, typer.Option(help="Directory for NAME.key and NAME.crt.")] = Path("."),
    name: Annotated[str, typer.Option(help="File name stem and certificate common name.")] = (
        "connector"
    ),
    days: Annotated[int, typer.Option(min=1, help="Certificate validity in days.")] = 730,
) -> None:
    """Make an RSA key pair for `auth jwt`: upload NAME.crt to the connected app."""
    from connector.crm.salesforce.keys import generate_key_pair

    key_path, cert_path = out / f"{name}.key", out / f"{name}.crt"
    for path in (key_path, cert_path):
        if path.exists():
            raise ConfigError(f"{path} exists; pick another --name or --out")
    private_pem, certificate_pem = generate_key_pair(name, days=days)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_private_file(key_path, private_pem)
        cert_path.write_bytes(certificate_pem)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the key pair in {out}: {exc.strerror or exc}; choose a writable --out"
        ) from exc
    console.print(
        f"wrote {key_path} (private, mode 0600) and {cert_path}.\n"
        f"Upload {cert_path} to the connected app ('Use digital signatures'), then run "
        f"`connector auth jwt CUSTOMER --key {key_path} …`; the key is then stored encrypted "
        "and the file can be deleted.",
        highlight=False,
    )


def write_private_file(path: Path, text: str) -> None:
    """Create `path` readable only by its owner (0600); never overwrite."""
    from connector.localfiles import create_private_file

    if not create_private_file(path, text):
        raise FileExistsError(path)


@auth_app.command("login")
@audited("auth_login")
def login_command(
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer id.")],
    client_id: Annotated[str | None, typer.Option(help="Consumer key of the app.")] = None,
    login_url: Annotated[str | None, typer.Option(help="Login host (https).")] = None,
    port: Annotated[
        int, typer.Option(help="Loopback port of the callback http://127.0.0.1:PORT/callback.")
    ] = DEFAULT_PORT,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the URL instead of starting a browser.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the browser.")] = 300.0,
    ca_bundle: Annotated[Path | None, typer.Option(help="Extra CA file to trust.")] = None,
) -> None:
    """Connect CUSTOMER through a browser (authorization code + PKCE); keeps a refresh token."""
    from connector.crm.salesforce.connect import save_web_connection
    from connector.crm.salesforce.oauth_web import run_web_login
    from connector.crm.salesforce.tls import check_crm_url
    from connector.vault import Vault

    settings = settings_now()
    defaults = crm_defaults(customer, settings)
    hosts = defaults.get("extra_hosts") or ()
    login = check_crm_url(
        _pick(login_url, defaults, "login_url", "--login-url"), what="login URL", extra_hosts=hosts
    )
    app_id = _pick(client_id, defaults, "client_id", "--client-id")
    bundle = _optional(ca_bundle, defaults, "ca_bundle")
    vault = Vault.from_settings(settings)

    def open_url(url: str) -> None:
        if no_browser or not webbrowser.open(url):
            console.print("Open this URL in a browser and approve access:", highlight=False)
        else:
            console.print("Opened a browser; if nothing appeared, open:", highlight=False)
        console.print(url, highlight=False, soft_wrap=True, markup=False)
        console.print(f"waiting up to {timeout:.0f} s for the callback on port {port} …")

    token = run_web_login(
        login_url=login,
        client_id=app_id,
        port=port,
        timeout=timeout,
        open_url=open_url,
        ca_bundle=bundle,
        http_timeout=settings.http_timeout,
        customer=customer,
        extra_hosts=hosts,
    )
    save_web_connection(
        open_store(customer, settings, create=True),
        vault,
        token,
        login_url=login,
        client_id=app_id,
        ca_bundle=bundle,
        extra_hosts=hosts,
    )
    _connected(customer, token, "web flow with PKCE")


@auth_app.command("link")
def link_command(
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer id.")],
    ttl: Annotated[str, typer.Option(help="How long the link works, e.g. 2h, 24h, 7d.")] = "24h",
    client_id: Annotated[str | None, typer.Option(help="Consumer key of the app.")] = None,
    login_url: Annotated[str | None, typer.Option(help="Login host (https).")] = None,
    ca_bundle: Annotated[Path | None, typer.Option(help="Extra CA file to trust.")] = None,
) -> None:
    """Print a one-time, expiring link with which the customer's Salesforce admin connects
    the org in a browser (web flow with PKCE, served by `connector serve`)."""
    from connector.cli.privacy_cmds import open_store_engine
    from connector.fieldmap.schedule import parse_duration
    from connector.onboarding import issue_connect_link
    from connector.privacy.audit import cli_actor
    from connector.privacy.tombstone import refuse_if_erased
    from connector.store import TenantStore

    settings = settings_now()
    try:
        lifetime = parse_duration(ttl)
    except ValueError as exc:
        raise ConfigError(f"--ttl: {exc}") from None
    has_map = (Path(settings.field_maps_dir) / f"{customer}.yaml").is_file()
    engine = open_store_engine(customer, create=has_map)
    refuse_if_erased(engine, customer, cli_actor(), "auth_link")
    require_customer(customer, settings, engine)
    defaults = crm_defaults(customer, settings)
    issued = issue_connect_link(
        TenantStore(engine, customer),
        public_url=settings.public_url,
        login_url=_pick(login_url, defaults, "login_url", "--login-url"),
        client_id=_pick(client_id, defaults, "client_id", "--client-id"),
        ca_bundle=_optional(ca_bundle, defaults, "ca_bundle"),
        ttl=lifetime,
        created_by=cli_actor(),
    )
    expires = issued.record.expires_at.isoformat(timespec="minutes")
    err_console.print(
        f"connect link for {customer}, usable once until {expires}; it is shown only now. "
        f"The connected app must list {issued.callback} as a callback URL.",
        highlight=False,
        soft_wrap=True,
    )
    print(issued.url)  # stdout only, so `$(connector auth link acme)` works


@auth_app.command("status")
def status_command(
    customer: Annotated[
        str | None,
        typer.Argument(metavar="CUSTOMER", help="Customer id (default: every customer)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (stable keys, see the README).")
    ] = False,
) -> None:
    """Show how each customer is connected (never a token), and whether its secrets decrypt."""
    from connector.store import TenantStore
    from connector.store.connections import connected_customer_ids

    engine = open_engine()
    if customer:
        require_customer(customer, settings_now(), engine)
    customers = [customer] if customer else connected_customer_ids(engine)
    vault, vault_problem = _status_vault()
    table = Table(title="CRM connections")
    reasons: dict[str, str] = {}
    listed: list[dict[str, Any]] = []
    for column in ("customer", "auth", "org id"):
        table.add_column(column, no_wrap=True)  # ids are copied and grepped: keep them whole
    table.add_column("instance", overflow="fold")
    table.add_column("connected at")
    table.add_column("status", no_wrap=True)
    for name in customers:
        store = TenantStore(engine, name)
        connection = store.get_connection()
        row = store.get_customer()
        status = row.status if row else "unknown"
        if row and row.status_reason:
            reasons[name] = row.status_reason
        if connection is None:
            table.add_row(name, "-", "-", "-", "-", "not connected")
            listed.append(_connection_json(name, None, "not connected", reasons.get(name)))
            continue
        unreadable = vault_problem or _unreadable_secret(vault, connection)
        if unreadable:
            status = "secrets unreadable"
            reasons[name] = unreadable
        listed.append(_connection_json(name, connection, status, reasons.get(name)))
        table.add_row(
            name,
            connection.auth,
            connection.organization_id or "-",
            connection.instance_url or "-",
            f"{connection.connected_at:%Y-%m-%d %H:%M}",
            status,
        )
    if as_json:
        print_json({"connections": listed})
        return
    console.print(table)
    for name, reason in reasons.items():
        console.print(f"{name}: {reason}", highlight=False, soft_wrap=True)


def _connection_json(
    customer: str, connection: Connection | None, status: str, reason: str | None
) -> dict[str, Any]:
    """One row of `auth status --json`: what the table shows, never a token or key."""
    from connector.cli.jsonout import iso

    return {
        "customer": customer,
        "auth": connection.auth if connection else None,
        "org_id": connection.organization_id if connection else None,
        "instance_url": connection.instance_url if connection else None,
        "connected_at": iso(connection.connected_at) if connection else None,
        "status": status,
        "reason": reason,
    }


def _status_vault() -> tuple[Vault | None, str | None]:
    """The key ring, or why there is none (a status line, not an error)."""
    from connector.vault import Vault

    try:
        return Vault.from_settings(settings_now()), None
    except SecretError as exc:
        return None, f"{exc}; the stored secrets cannot be read until it is set"


def _unreadable_secret(vault: Vault | None, connection: Connection) -> str | None:
    """Why a connection's stored secrets cannot be decrypted with the key ring, if they cannot."""
    from connector.store.connections import SECRET_COLUMNS

    if vault is None:
        return None
    for column in SECRET_COLUMNS:
        value = getattr(connection, column)
        if not value:
            continue
        try:
            vault.decrypt(value, name=f"the {column.removesuffix('_enc').replace('_', ' ')}")
        except SecretError as exc:
            return (
                f"{exc}; it was encrypted under a key that is not in CONNECTOR_SECRET_KEYS: add "
                "that key back, or connect the customer again (`connector auth jwt` / `login`)"
            )
    return None


@auth_app.command("revoke")
@audited("auth_revoke")
def revoke_command(
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer id.")],
) -> None:
    """Revoke CUSTOMER's token at Salesforce and delete its stored secrets."""
    from connector.crm.salesforce.revoke import revoke_connection
    from connector.vault import Vault

    settings = settings_now()
    store = open_store(customer, settings)
    if store.get_connection() is None:
        raise ConfigError(f"customer {customer!r} has no CRM connection to revoke")
    outcome = revoke_connection(
        store,
        Vault.from_settings(settings),
        customer,
        timeout=settings.http_timeout,
        extra_hosts=crm_defaults(customer, settings).get("extra_hosts") or (),
    )
    remote = (
        f"revoked the {outcome.revoked.replace('_', ' ')} at Salesforce"
        if outcome.revoked
        else "nothing was revoked at Salesforce"
    )
    console.print(
        f"{customer}: {remote}; deleted {outcome.secrets_deleted} stored secrets; "
        "status reconnect_needed",
        highlight=False,
    )
    if outcome.remote_error:
        err_console.print(
            f"[yellow]customer {customer!r}: revocation at the CRM failed[/] "
            f"({outcome.remote_error}): the token may still be valid. Revoke it by hand in the org "
            "(Setup > Connected Apps OAuth Usage > the app > Revoke)",
            highlight=False,
        )
        raise typer.Exit(exit_codes.PARTIAL)


@secrets_app.command("generate-key")
def generate_key_command() -> None:
    """Print a new key; put it FIRST in CONNECTOR_SECRET_KEYS, then run `secrets rotate`."""
    from connector.vault import Vault

    print(Vault.generate_key())  # stdout only, so `$(connector secrets generate-key)` works


@secrets_app.command("rotate")
def rotate_command(
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")
    ] = True,
) -> None:
    """Re-encrypt every stored secret and re-wrap every customer's data key under the newest key."""
    from connector.cli.progress import count_progress
    from connector.privacy.keys import rewrap_data_key
    from connector.store import TenantStore
    from connector.store.admin import AdminStore
    from connector.store.connections import SECRET_COLUMNS, connected_customer_ids
    from connector.vault import Vault

    settings = settings_now()
    vault = Vault.from_settings(settings)
    engine = open_engine(settings)
    table = Table(title=f"secrets re-encrypted under the newest of {vault.key_count} keys")
    table.add_column("customer")
    for column in SECRET_COLUMNS:
        table.add_column(column.removesuffix("_enc").replace("_", " "), justify="right")
    total = 0
    customers = connected_customer_ids(engine)
    with count_progress(console, "re-encrypting", len(customers), progress) as bar:
        for name in customers:
            counts = TenantStore(engine, name).re_encrypt_secrets(_rotator(vault, name))
            total += sum(counts.values())
            table.add_row(name, *(str(counts[column]) for column in SECRET_COLUMNS))
            bar.advance()
    console.print(table)
    console.print(f"re-encrypted {total} secrets of {len(customers)} customers")
    rewrapped = [
        name
        for name in AdminStore(engine).customer_ids()
        if rewrap_data_key(TenantStore(engine, name), vault)
    ]
    console.print(f"re-wrapped the data keys of {len(rewrapped)} customers")


def _rotator(vault: Vault, customer: str) -> Callable[[str, str], str]:
    """Re-encrypt one stored value; errors name the column and customer, never the value."""

    def rotate(column: str, value: str) -> str:
        label = column.removesuffix("_enc").replace("_", " ")
        return vault.rotate(value, name=f"the {label} of customer {customer!r}")

    return rotate
