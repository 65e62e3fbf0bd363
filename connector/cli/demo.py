"""`connector demo`: the whole job against the local sandbox org, in one go.

Starts the sandbox (HTTPS with its own CA), registers a demo connected app with a key pair
made for this run, connects the `demo` customer with the JWT bearer flow (the private key is
stored encrypted, no password anywhere), pulls the report folder with progress bars, records
sample call and email activities and pushes them back as Tasks, then prints a summary.
Re-running it shows change detection at work: nothing changed, nothing written, no new Task.

The demo keeps its state in a home of its own, `CONNECTOR_HOME/demo` (its SQLite store, its
local key files, the sandbox's certificates), whatever CONNECTOR_DATABASE_URL and
CONNECTOR_SECRET_KEYS say: nothing it leaves behind reaches the real installation's store,
scheduler or `auth status`.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from connector.cli.common import console, open_engine, settings_now

if TYPE_CHECKING:
    from connector.config import Settings
    from connector.fieldmap import FieldMap
    from connector.sandbox import SandboxOrg
    from connector.store import TenantStore
    from connector.store.models import SyncRun
    from connector.vault import Vault

DEMO_CUSTOMER = "demo"
DEMO_CLIENT_ID = "connector-demo"
DEMO_USER = "integration@demo.example"
_ACTIVITY_NAMESPACE = uuid.UUID("5f0c4a52-5a43-4d0e-9d3c-7c1d2b8f6a10")


def demo(
    rows: int = typer.Option(6000, "--rows", min=1, help="Rows in the sandbox's biggest report."),
    activities: int = typer.Option(
        25, "--activities", min=0, help="Sample calls and emails to push back as Tasks."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
) -> None:
    """Run sandbox CRM -> OAuth (JWT bearer) -> pull -> push, and print what happened.

    Its state lives in CONNECTOR_HOME/demo, apart from the real installation.
    """
    from connector.cli.progress import pull_progress, run_table
    from connector.crm.salesforce.connect import connect_jwt
    from connector.crm.salesforce.keys import generate_key_pair
    from connector.fieldmap import load_field_map
    from connector.runtime import connect_crm, suppression_check
    from connector.sandbox import ConnectedApp, SandboxOrg, SandboxServer, SeedConfig
    from connector.store import TenantStore, make_engine, migrate
    from connector.sync.pull import PullOptions, pull
    from connector.vault import Vault

    settings = use_demo_home()
    console.print(f"demo state in {settings.home} (apart from the installation's store)")
    vault = Vault.from_settings(settings, allow_local_key=True)
    org = SandboxOrg.seeded(SeedConfig(seed=7, big_report_rows=rows))
    private_pem, certificate_pem = generate_key_pair("connector-demo")
    org.register_app(
        ConnectedApp(
            client_id=DEMO_CLIENT_ID,
            jwt_certificate_pem=certificate_pem,
            pre_authorized_usernames=[DEMO_USER],
        )
    )
    with SandboxServer(org, state_dir=settings.home / "sandbox", port=0) as server:
        console.print(f"sandbox org {org.organization_id} at {server.base_url}")
        os.environ["CONNECTOR_SANDBOX_URL"] = server.base_url
        os.environ["CONNECTOR_SANDBOX_CA"] = str(server.ca_path)
        fm = load_field_map(DEMO_CUSTOMER, settings.field_maps_dir)
        # the demo owns its store: bring it to the latest schema, as `connector db upgrade` would
        migrate(make_engine(settings.resolved_database_url()))
        store = TenantStore(open_engine(settings, create=True), DEMO_CUSTOMER)
        token = connect_jwt(
            store,
            vault,
            login_url=fm.crm.login_url,
            client_id=fm.crm.client_id or DEMO_CLIENT_ID,
            username=fm.crm.username or DEMO_USER,
            private_key_pem=private_pem,
            audience=fm.crm.audience,
            ca_bundle=fm.crm.ca_bundle,
            timeout=settings.http_timeout,
        )
        console.print(
            f"connected [bold]{DEMO_CUSTOMER}[/] to org {token.organization_id} "
            "with the JWT bearer flow (private key stored encrypted)"
        )
        crm = connect_crm(fm, store, settings, vault=vault)
        with pull_progress(console, enabled=progress) as observer:
            run = pull(
                fm,
                store,
                crm,
                PullOptions(trigger="demo", suppressed=suppression_check(store), observer=observer),
            )
        console.print(run_table(run, "pull"))
        _push_sample_activities(fm, store, settings, vault, activities)
        console.print(_org_table(org, store))


def use_demo_home() -> Settings:
    """Point this process at the demo's own home (store, key files) and return its settings."""
    from connector.config import get_settings

    home = settings_now().home / "demo"
    os.environ["CONNECTOR_HOME"] = str(home)
    os.environ["CONNECTOR_DATABASE_URL"] = f"sqlite:///{home / 'connector.db'}"
    for name in ("CONNECTOR_SECRET_KEYS", "CONNECTOR_SUPPRESSION_KEY"):
        os.environ[name] = ""  # not the installation's keys (nor a .env file's)
    get_settings.cache_clear()
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    return settings


def _push_sample_activities(
    fm: FieldMap, store: TenantStore, settings: Settings, vault: Vault, count: int
) -> SyncRun:
    """Record `count` deterministic sample activities for pulled prospects and push them."""
    from connector.cli.activities_cmds import push_table
    from connector.runtime import connect_crm, suppression_check
    from connector.sync.activities import ActivityIn
    from connector.sync.push import push, record_activities

    prospects = store.prospects(limit=count)
    base = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    sample = [
        ActivityIn(
            id=uuid.uuid5(_ACTIVITY_NAMESPACE, p.crm_id),
            kind="call" if i % 3 else "email",
            prospect_crm_id=p.crm_id,
            occurred_at=base + timedelta(minutes=7 * i),
            direction="outbound",
            duration_seconds=60 + 13 * i if i % 3 else None,
            outcome="Connected" if i % 2 else "Left voicemail",
            subject="Intro" if not i % 3 else None,
        )
        for i, p in enumerate(prospects)
    ]
    record_activities(store, sample, suppression_check(store))
    crm = connect_crm(fm, store, settings, vault=vault)
    run = push(fm, store, crm, trigger="demo")
    console.print(push_table(run, "push"))
    return run


def _org_table(org: SandboxOrg, store: TenantStore) -> Table:
    table = Table(title="what the sandbox org saw", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    log = org.request_log
    table.add_row("HTTP requests to the org", str(len(log)))
    table.add_row(
        "report runs",
        str(sum(1 for e in log if "/analytics/reports/" in e.path and e.method == "POST")),
    )
    table.add_row("Tasks in the org", str(len(org.tasks)))
    table.add_row("call lists in the store", str(len(store.call_lists(active_only=True))))
    table.add_row("prospects in the store", str(len(store.prospects())))
    return table


def register(app: typer.Typer) -> None:
    app.command()(demo)
