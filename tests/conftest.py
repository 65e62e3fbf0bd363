"""Shared fixtures: clean settings, real databases (SQLite, PostgreSQL) and the sandbox org.

PostgreSQL and Redis tests use the servers named by CONNECTOR_TEST_POSTGRES_URL and
CONNECTOR_TEST_REDIS_URL (defaults: 127.0.0.1:5432/test and 127.0.0.1:6379). Where a server
does not answer they skip with the reason, except when CONNECTOR_TEST_REQUIRE_SERVICES=1 (CI),
where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from connector.config import get_settings
from connector.store import create_schema, make_engine

POSTGRES_URL = os.environ.get(
    "CONNECTOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("CONNECTOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("CONNECTOR_TEST_REQUIRE_SERVICES") == "1"
REPO = Path(__file__).resolve().parent.parent


def service_missing(reason: str) -> None:
    """Skip (locally) or fail (CI) a test whose service is down."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CONNECTOR_TEST_REQUIRE_SERVICES=1, so this is a failure)")
    pytest.skip(reason)


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
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        service_missing(f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    SQLModel.metadata.drop_all(engine)
    create_schema(engine)
    yield engine
    engine.dispose()


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
