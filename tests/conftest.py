"""Shared fixtures: clean settings, real databases (SQLite, PostgreSQL) and the sandbox org.

PostgreSQL and Redis tests use the servers named by CONNECTOR_TEST_POSTGRES_URL and
CONNECTOR_TEST_REDIS_URL (defaults: 127.0.0.1:5432/test and 127.0.0.1:6379). Where a server
does not answer they skip with the reason, except when CONNECTOR_TEST_REQUIRE_SERVICES=1 (CI),
where they fail. Any other skip fails the test (see tests/helpers/skip_guard.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from connector.config import get_settings
from connector.store import create_schema, make_engine
from connector.store.engine import normalize_url
from tests.helpers.skip_guard import pytest_runtest_makereport, service_missing

__all__ = ["pytest_runtest_makereport", "service_missing"]

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
    yield
    get_settings.cache_clear()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    create_schema(engine)
    return engine


@pytest.fixture(scope="session")
def _postgres_engine() -> Iterator[Engine]:
    """A database of this test session's own, created next to the configured one.

    Several test sessions may share one server; a private database keeps them apart. Where
    the role may not create databases, the configured database itself is used.
    """
    try:
        admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        service_missing(f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    private = f"connector_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{private}"'))
        url = make_url(normalize_url(POSTGRES_URL)).set(database=private)
    except Exception:
        private, url = "", make_url(normalize_url(POSTGRES_URL))
    engine = make_engine(url.render_as_string(hide_password=False))
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    create_schema(engine)
    yield engine
    engine.dispose()
    if private:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{private}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def postgres_engine(_postgres_engine: Engine) -> Engine:
    """The PostgreSQL test database with empty tables."""
    names = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    with _postgres_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names}"))
    return _postgres_engine


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_engine")
    return request.getfixturevalue("postgres_engine")
