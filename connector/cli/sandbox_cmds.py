"""``connector sandbox serve``: run the sandbox until Ctrl-C.

Prints the base URL, the CA path, the connected app's client id and the user it pre-authorises,
the ``export`` lines that point ``field_maps/example.yaml`` at it, and writes
``{state_dir}/sandbox.json`` (base_url, ca_path, organization_id, report and folder ids) so
other processes can find it. The sandbox server is imported only when it is started.
"""

from __future__ import annotations

import json
import secrets
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from connector.sandbox.faults import FaultRule

#: The sandbox user a registered app pre-authorises unless --username says otherwise.
SANDBOX_USER = "integration@demo.example"

app = typer.Typer(
    help="A local, Salesforce-compatible HTTPS sandbox for demos and tests.",
    no_args_is_help=True,
)


@app.callback()
def sandbox() -> None:
    """A local, Salesforce-compatible HTTPS sandbox for demos and tests."""


def parse_fault(spec: str, seed: int = 0) -> FaultRule:
    """``ENDPOINT_REGEX:RATE:CODE`` (RATE and CODE optional) -> FaultRule drawing from `seed`."""
    from connector.sandbox.faults import FaultRule

    regex, rate, code = spec, "1.0", "SERVER_UNAVAILABLE"
    parts = spec.rsplit(":", 2)
    if len(parts) == 3 and _is_rate(parts[1]):
        regex, rate, code = parts
    elif len(parts) >= 2 and _is_rate(parts[-1]):
        regex, rate = spec.rsplit(":", 1)
    try:
        return FaultRule(endpoint=regex, rate=float(rate), error_code=code, seed=seed)
    except ValueError as exc:
        raise typer.BadParameter(f"bad fault {spec!r}: {exc}") from exc


def choose_fault_seed(given: int | None) -> int:
    """The seed of the fault rules: the one given, else a random one (printed, to replay)."""
    return given if given is not None else secrets.randbelow(2**31)


def fault_rules(specs: list[str], latency_ms: int, fault_seed: int) -> list[FaultRule]:
    """The rules of ``--fault`` specs and ``--latency-ms``, each drawing from its own seed.

    Rule i draws from ``fault_seed + i``, so rules fire independently of each other; the
    latency rule comes first and only delays, so every fault rule stays in force behind it.
    """
    from connector.sandbox.faults import FaultRule

    rules = [parse_fault(spec, fault_seed + index) for index, spec in enumerate(specs)]
    if latency_ms:
        latency = FaultRule(
            endpoint=".*", status=200, latency_ms=latency_ms, seed=fault_seed + len(rules)
        )
        rules.insert(0, latency)
    return rules


def _is_rate(text: str) -> bool:
    try:
        return 0.0 <= float(text) <= 1.0
    except ValueError:
        return False


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 = any free port).")] = 8443,
    state_dir: Annotated[
        Path | None,
        typer.Option(help="TLS files and sandbox.json (default CONNECTOR_HOME/sandbox)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the demo data.")] = 7,
    big_report_rows: Annotated[int, typer.Option(help="Rows of Enterprise_Contacts.")] = 6000,
    token_ttl: Annotated[
        float | None, typer.Option(help="Access-token lifetime in seconds.")
    ] = None,
    fault: Annotated[
        list[str] | None, typer.Option(help="ENDPOINT_REGEX:RATE:CODE, repeatable.")
    ] = None,
    latency_ms: Annotated[int, typer.Option(help="Latency added to every request.")] = 0,
    fault_seed: Annotated[
        int | None, typer.Option(help="Seed of the fault draws (default: random, printed).")
    ] = None,
    register_app: Annotated[
        str | None, typer.Option(help="Register a connected app with this client id.")
    ] = None,
    jwt_cert: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="Certificate (or public key) PEM for JWT bearer."
        ),
    ] = None,
    username: Annotated[
        str, typer.Option(help="The sandbox user the registered app pre-authorises.")
    ] = SANDBOX_USER,
    redirect_uri: Annotated[
        list[str] | None, typer.Option(help="Callback URL of the app, repeatable.")
    ] = None,
    rotate_refresh_tokens: Annotated[bool, typer.Option(help="Rotate refresh tokens.")] = False,
) -> None:
    """Serve the seeded sandbox org over HTTPS until interrupted (the org lives in memory)."""
    from connector.config import get_settings
    from connector.sandbox import ConnectedApp, SandboxOrg, SandboxServer, SeedConfig

    state_dir = state_dir or get_settings().home / "sandbox"
    org = SandboxOrg.seeded(SeedConfig(seed=seed, big_report_rows=big_report_rows))
    org.access_token_ttl = token_ttl
    seed_of_faults = choose_fault_seed(fault_seed)
    rules = fault_rules(list(fault or []), latency_ms, seed_of_faults)
    org.set_faults(rules)
    if register_app:
        org.register_app(
            ConnectedApp(
                client_id=register_app,
                jwt_certificate_pem=jwt_cert.read_bytes() if jwt_cert else None,
                redirect_uris=list(redirect_uri or []),
                rotate_refresh_tokens=rotate_refresh_tokens,
                pre_authorized_usernames=[username],
            )
        )
    server = SandboxServer(org, state_dir=state_dir, host=host, port=port, log_level="warning")
    server.start()
    info = {
        "base_url": server.base_url,
        "ca_path": str(server.ca_path.resolve()),
        "client_id": register_app,
        "username": username if register_app else None,
        **org.describe_state(),
    }
    (state_dir / "sandbox.json").write_text(json.dumps(info, indent=2))
    for line in _banner(info, register_app, jwt_cert, username):
        typer.echo(line)
    if rules:
        typer.echo(f"Fault seed: {seed_of_faults} (replay with --fault-seed {seed_of_faults})")
    _wait_for_interrupt()
    server.stop()


def _banner(
    info: dict[str, object], client_id: str | None, jwt_cert: Path | None, username: str
) -> list[str]:
    """What a person needs to connect to the sandbox, ending with copy-paste `export` lines."""
    lines = [
        f"Salesforce sandbox at {info['base_url']}",
        f"Trust this CA: {info['ca_path']}",
        f"Organization id: {info['organization_id']}",
    ]
    if client_id is None:
        lines.append(
            "No connected app registered: add --register-app CLIENT_ID --jwt-cert FILE.crt "
            "to connect with `connector auth jwt`."
        )
    else:
        how = f"JWT bearer with {jwt_cert}" if jwt_cert else "no JWT certificate"
        lines += [
            f"Connected app client id: {client_id} ({how})",
            f"Pre-authorised user: {username}",
            "Point a field map made from field_maps/example.yaml at this org with:",
            f"export EXAMPLE_LOGIN_URL={info['base_url']} EXAMPLE_CLIENT_ID={client_id} "
            f"EXAMPLE_USERNAME={username} EXAMPLE_CA_BUNDLE={info['ca_path']}",
        ]
    lines.append(
        "The org lives in memory: it exists only while this command runs (Ctrl-C ends it)."
    )
    return lines


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
