"""Database engines and schema creation for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import create_engine

from connector.errors import ConfigError, ConnectorError, StoreError
from connector.localfiles import make_private_dir, make_private_file
from connector.store import models  # noqa: F401  (registers the tables)
from connector.store.rls import (
    check_application_role,
    check_binding,
    save_tenant_key,
    set_tenant_key,
)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # deleted content is overwritten, not left in free pages (see store.compact)
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_engine(url: str, *, tenant_key: str | None = None) -> Engine:
    """An engine for `url`; SQLite files get their directory created and WAL mode.

    On PostgreSQL, `tenant_key` (CONNECTOR_TENANT_KEY) lets tenant transactions bind
    themselves to their customer; without it they are refused (ConfigError).
    """
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            make_private_dir(Path(parsed.database).parent)
            make_private_file(Path(parsed.database))  # SQLite's -wal/-shm copy its mode
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # psycopg prepares a statement server-side after 5 executions; PostgreSQL may then choose
    # a generic plan for the page's `crm_id IN (...)` lookups that scans every row the
    # customer has (quadratic in the rows). Unprepared, each lookup is planned for its values.
    engine = create_engine(url, pool_pre_ping=True, connect_args={"prepare_threshold": None})
    if tenant_key is not None:
        set_tenant_key(engine, tenant_key)
    return engine


def open_engine(url: str, *, tenant_key: str | None = None) -> Engine:
    """The engine of an existing, up-to-date store (see `check_schema`); raises ConfigError
    or StoreError as that does."""
    engine = make_engine(url, tenant_key=tenant_key)
    check_schema(engine)
    return engine


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Any number will do, as long as every connector process uses the same one.
_MIGRATION_LOCK = 724_310
#: Tables the migrations own that the SQLModel models do not describe.
UNMODELLED_TABLES = frozenset({"connector_tenant_key"})
#: Indexes only migrations manage: expression indexes one engine needs and the models cannot
#: declare for every engine (see the migration that creates each).
MIGRATION_ONLY_INDEXES = frozenset({"ix_memberships_id_order"})


def alembic_config(connection: Connection | None = None, *, app_role: str | None = None) -> Config:
    """The Alembic configuration of the store's migrations, built in code (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["app_role"] = app_role
    return config


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """For autogenerate and the schema test: ignore the tables and indexes no model describes."""
    if type_ == "table":
        return name not in UNMODELLED_TABLES
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


@dataclass(frozen=True)
class SchemaStatus:
    """Where the store's schema is, and where this version of the code needs it."""

    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def known(self) -> bool:
        return self.current is None or self.current in _revisions()


def migrate(
    engine: Engine, *, app_role: str | None = None, tenant_key: str | None = None
) -> SchemaStatus:
    """Bring the schema to the latest migration: `connector db upgrade`, run as the owner.

    On PostgreSQL `app_role` (the application's login role) receives its privileges in the
    migration that creates what they cover, and `tenant_key` is stored for the tenant
    binding; an advisory lock serializes concurrent upgrades. Returns the status before.
    Raises StoreError when the database refuses.
    """
    try:
        with engine.begin() as connection:
            if is_postgres(engine):
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            before = SchemaStatus(_current_revision(connection), _head_revision())
            if not before.up_to_date:
                command.upgrade(alembic_config(connection, app_role=app_role), "head")
            if is_postgres(engine) and tenant_key is not None:
                save_tenant_key(connection, tenant_key)
    except ConnectorError:
        raise
    except Exception as exc:  # the driver's own exception types vary
        raise StoreError(f"cannot migrate the store schema: {exc}") from exc
    return before


def schema_status(engine: Engine) -> SchemaStatus:
    """The store's current revision and the code's head, read without writing anything.

    Raises StoreError when the database does not answer.
    """
    try:
        with engine.connect() as connection:
            return SchemaStatus(_current_revision(connection), _head_revision())
    except Exception as exc:  # the driver's own exception types vary
        raise StoreError(f"cannot read the store's schema revision: {exc}") from exc


def check_schema(engine: Engine) -> None:
    """The start-up check every command makes: read-only, never DDL.

    Raises ConfigError (one line, naming the fix) when the store is behind the code, ahead of
    it, or, on PostgreSQL, when the application's role could step over row-level security or
    its tenant key does not match the store's. A brand-new SQLite file (no table yet) is
    initialised instead: the embedded store has no separate owner, and the demo and a first
    run should work without a set-up step.
    """
    status = schema_status(engine)
    if status.current is None and not is_postgres(engine) and _is_empty(engine):
        migrate(engine)
        return
    if not status.known:
        raise ConfigError(
            f"the store is at schema revision {status.current}, which this version of "
            "connector does not know: upgrade connector"
        )
    if not status.up_to_date:
        raise ConfigError(
            f"the store's schema is at revision {status.current or 'none'}, this version of "
            f"connector needs {status.head}: run `connector db upgrade`"
        )
    if is_postgres(engine):
        _check_postgres_wall(engine)


def _check_postgres_wall(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            check_application_role(connection)
            check_binding(connection)
            connection.rollback()
    except ConnectorError:
        raise
    except Exception as exc:  # the driver's own exception types vary
        raise StoreError(f"cannot check the store's row-level security: {exc}") from exc


def _is_empty(engine: Engine) -> bool:
    try:
        return not inspect(engine).get_table_names()
    except Exception as exc:  # the driver's own exception types vary
        raise StoreError(f"cannot read the store: {exc}") from exc


@lru_cache(maxsize=1)
def _head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@lru_cache(maxsize=1)
def _revisions() -> frozenset[str]:
    scripts = ScriptDirectory.from_config(alembic_config())
    return frozenset(script.revision for script in scripts.walk_revisions())


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
