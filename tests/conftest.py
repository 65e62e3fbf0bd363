"""Shared fixtures: clean settings, real databases (SQLite, PostgreSQL) and the sandbox org.

PostgreSQL and Redis tests use the servers named by CONNECTOR_TEST_POSTGRES_URL and
CONNECTOR_TEST_REDIS_URL (defaults: 127.0.0.1:5432/test and 127.0.0.1:6379). Where a server
does not answer they skip with the reason, except when CONNECTOR_TEST_REQUIRE_SERVICES=1 (CI),
where they fail. Any other skip fails the test (see tests/helpers/skip_guard.py).
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from connector.config import get_settings
from connector.schedule.settings import get_schedule_settings
from connector.store import make_engine, migrate
from connector.store.engine import normalize_url
from tests.helpers.skip_guard import pytest_runtest_makereport, service_missing
from tests.helpers.stores import forget_owner, owner_of, register_owner

__all__ = ["owner_of", "pytest_runtest_makereport", "service_missing"]

POSTGRES_URL = os.environ.get(
    "CONNECTOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("CONNECTOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test starts with no CONNECTOR_* settings but a private home directory."""
    for name in list(os.environ):
        if name.startswith("CONNECTOR_") and not name.startswith("CONNECTOR_TEST_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONNECTOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CONNECTOR_FIELD_MAPS_DIR", str(REPO / "field_maps"))
    get_settings.cache_clear()
    get_schedule_settings.cache_clear()
    yield
    get_settings.cache_clear()
    get_schedule_settings.cache_clear()


def migrate_store(engine: Engine) -> Engine:
    """Bring a test store to the latest schema, as `connector db upgrade` would."""
    migrate(engine)
    return engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    return migrate_store(make_engine(f"sqlite:///{tmp_path / 'store.db'}"))


@dataclass(frozen=True)
class PostgresStore:
    """The test session's PostgreSQL store: the schema owner and the application's login.

    `owner` ran the migrations (and may truncate); `app` connects as a login role of this
    session's own that owns nothing, exactly as production does, so every PostgreSQL test runs
    under row-level security.
    """

    owner: Engine
    app: Engine
    owner_url: str
    app_url: str
    app_role: str
    tenant_key: str

    def export(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point CONNECTOR_* settings (and CLI subprocesses) at this store."""
        monkeypatch.setenv("CONNECTOR_DATABASE_URL", self.app_url)
        monkeypatch.setenv("CONNECTOR_MIGRATION_DATABASE_URL", self.owner_url)
        monkeypatch.setenv("CONNECTOR_TENANT_KEY", self.tenant_key)
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def _postgres() -> Iterator[PostgresStore]:
    """A database and an application login role of this test session's own.

    Several test sessions may share one server; a private database and a role named after it
    keep them apart, and both are dropped at the end. Where the role may not create databases,
    the configured database itself is used.
    """
    try:
        admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:  # the server's answer, not an import or a bug: those fail
        service_missing(f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    suffix = uuid.uuid4().hex[:10]
    private, app_role = f"connector_test_{suffix}", f"connector_app_{suffix}"
    password = secrets.token_urlsafe(24)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{private}"'))
        url = make_url(normalize_url(POSTGRES_URL)).set(database=private)
    except Exception:
        private, url = "", make_url(normalize_url(POSTGRES_URL))
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE {app_role} LOGIN PASSWORD '{password}'"))
    except DBAPIError as exc:
        service_missing(f"cannot create a login role on {POSTGRES_URL}: {type(exc).__name__}")
    owner_url = url.render_as_string(hide_password=False)
    app_url = url.set(username=app_role, password=password).render_as_string(hide_password=False)
    tenant_key = secrets.token_urlsafe(32)
    owner = make_engine(owner_url)
    SQLModel.metadata.drop_all(owner)
    with owner.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version, connector_tenant_key"))
    migrate(owner, app_role=app_role, tenant_key=tenant_key)
    app = make_engine(app_url, tenant_key=tenant_key)
    register_owner(app, owner, tenant_key)
    yield PostgresStore(owner, app, owner_url, app_url, app_role, tenant_key)
    forget_owner(app)
    app.dispose()
    owner.dispose()
    with admin.connect() as conn:
        if private:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{private}" WITH (FORCE)'))
        else:
            conn.execute(text(f"DROP OWNED BY {app_role}"))
        conn.execute(text(f"DROP ROLE IF EXISTS {app_role}"))
    admin.dispose()


@pytest.fixture
def postgres(_postgres: PostgresStore) -> PostgresStore:
    """The PostgreSQL test store with empty tables."""
    names = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    with _postgres.owner.begin() as conn:
        conn.execute(text(f"TRUNCATE {names}"))
    return _postgres


@pytest.fixture
def postgres_engine(postgres: PostgresStore) -> Engine:
    """The application's engine on the PostgreSQL test store (empty tables)."""
    return postgres.app


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_engine")
    return request.getfixturevalue("postgres_engine")
