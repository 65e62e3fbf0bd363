"""The SQLite store's directory and files are private to their owner, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.store import TenantStore, make_engine, migrate


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask (0000), as an operator's shell might have."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_given_open_umask_then_the_store_directory_is_0700_and_its_files_0600(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home" / ".connector"
    engine = make_engine(f"sqlite:///{home / 'connector.db'}")
    migrate(engine)
    TenantStore(engine, "acme").ensure_customer()
    assert mode(home) == 0o700
    files = sorted(p.name for p in home.iterdir())
    assert "connector.db" in files
    assert {name: mode(home / name) for name in files} == dict.fromkeys(files, 0o600)
    engine.dispose()


def test_given_an_existing_world_readable_store_file_then_it_is_made_0600(tmp_path: Path) -> None:
    path = tmp_path / "connector.db"
    path.touch()
    path.chmod(0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o600
