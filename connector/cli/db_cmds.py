"""`connector db upgrade` and `connector db status`: the store's schema, changed only on purpose.

Other commands never change the schema: they check its revision (read-only) and refuse to run
against a store that is behind. `db upgrade` applies the migrations with the owner's URL
(`CONNECTOR_MIGRATION_DATABASE_URL`, or `CONNECTOR_DATABASE_URL` when unset); on PostgreSQL
the application's login role (the user of `CONNECTOR_DATABASE_URL`) must be a different role,
which the migrations grant what it needs, and the tenant key is stored for row-level security.
"""

from __future__ import annotations

import typer
from rich.table import Table

from connector.cli.common import console
from connector.config import Settings, get_settings
from connector.errors import ConfigError

db_app = typer.Typer(help="The store's schema: apply migrations, show where it stands.")


def application_role(settings: Settings) -> str | None:
    """The application's PostgreSQL login role, checked apart from the owner; None on SQLite.

    Raises ConfigError when the two URLs name the same role or different databases.
    """
    from sqlalchemy.engine import make_url

    from connector.store.engine import normalize_url

    app_url = make_url(normalize_url(settings.resolved_database_url()))
    if app_url.get_backend_name() != "postgresql":
        return None
    owner_url = make_url(normalize_url(settings.resolved_migration_url()))
    if not app_url.username:
        raise ConfigError("CONNECTOR_DATABASE_URL must name the application's login role")
    if owner_url.username == app_url.username or not settings.migration_database_url:
        raise ConfigError(
            "on PostgreSQL, CONNECTOR_MIGRATION_DATABASE_URL must connect as the role that owns "
            "the schema and CONNECTOR_DATABASE_URL as a different login role that owns nothing "
            f"(now both are {app_url.username!r})"
        )
    if (owner_url.host, owner_url.port, owner_url.database) != (
        app_url.host,
        app_url.port,
        app_url.database,
    ):
        raise ConfigError(
            "CONNECTOR_MIGRATION_DATABASE_URL and CONNECTOR_DATABASE_URL name different databases"
        )
    return app_url.username


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply the store's migrations (as the schema owner) and store the tenant key."""
    from connector.store.engine import make_engine, migrate
    from connector.store.rls import check_tenant_key

    settings = get_settings()
    app_role = application_role(settings)
    tenant_key = check_tenant_key(settings.tenant_key) if app_role else None
    engine = make_engine(settings.resolved_migration_url())
    try:
        before = migrate(engine, app_role=app_role, tenant_key=tenant_key)
    finally:
        engine.dispose()
    after = before.head or "none"
    if before.up_to_date:
        console.print(f"the store is at revision {after}, the latest: nothing to apply")
    else:
        console.print(f"upgraded the store from revision {before.current or 'none'} to {after}")
    if app_role:
        console.print(f"application role: {app_role}; tenant key stored")


@db_app.command("status")
def status() -> None:
    """The store's schema revision and the one this version of connector needs.

    Exits 0 when they are the same, 1 when the store needs `connector db upgrade`.
    """
    from sqlalchemy.engine import make_url

    from connector.store.engine import make_engine, schema_status

    settings = get_settings()
    url = settings.resolved_database_url()
    engine = make_engine(url)
    try:
        found = schema_status(engine)
    finally:
        engine.dispose()
    table = Table(title="store schema", show_header=False)
    table.add_row("store", make_url(url).render_as_string(hide_password=True))
    table.add_row("current revision", found.current or "none (not initialised)")
    table.add_row("head revision", found.head or "none")
    if found.up_to_date:
        verdict = "up to date"
    elif not found.known:
        verdict = "unknown revision: this version of connector is older than the store"
    else:
        verdict = "behind: run `connector db upgrade`"
    table.add_row("state", verdict)
    console.print(table)
    if not found.up_to_date:
        raise typer.Exit(1)
