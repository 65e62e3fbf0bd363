"""Database engines and schema creation for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import create_engine

from connector.errors import StoreError
from connector.store import models  # noqa: F401  (registers the tables)


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


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get their directory created and WAL mode."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Any number will do, as long as every connector process uses the same one.
_MIGRATION_LOCK = 724_310


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration of the store's migrations, built in code (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def create_schema(engine: Engine) -> None:
    """Bring the schema to the latest migration (and, on PostgreSQL, install row-level security).

    Safe to call from every process at start-up: on PostgreSQL an advisory lock serializes
    concurrent upgrades. Raises StoreError when the database refuses.
    """
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            if _current_revision(connection) != _head_revision():
                command.upgrade(alembic_config(connection), "head")
    except StoreError:
        raise
    except Exception as exc:  # the driver's own exception types vary
        raise StoreError(f"cannot migrate the store schema: {exc}") from exc
    if engine.dialect.name == "postgresql":
        from connector.store.rls import install_row_level_security

        install_row_level_security(engine)


@lru_cache(maxsize=1)
def _head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
