"""Fixtures of the scheduler tests: a small sandbox org and the demo customer connected to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.e2e.conftest import Customer, Sandbox, connect, point_at
from tests.helpers.key_ring import key_ring  # noqa: F401  (autouse)
from tests.helpers.sandbox import small_sandbox


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One small sandbox org per test module (tests keep their own stores)."""
    with small_sandbox(tmp_path_factory.mktemp("sandbox")) as sandbox:
        yield sandbox


@pytest.fixture
def demo(box: Sandbox, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Customer:
    """The `demo` customer connected to the sandbox, with an empty SQLite file store."""
    point_at(box, monkeypatch)
    return connect(box, sqlite_engine, "demo")


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The SQLite URL of `sqlite_engine`, exported so CLI subprocesses use the same store."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("CONNECTOR_DATABASE_URL", url)
    return url
