"""A small sandbox org over HTTPS, for scheduler and web tests (reuses the e2e harness)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.conftest import Sandbox, start_sandbox

#: Rows of the sandbox's biggest report: enough for a real multi-page pull, quick to sync.
SMALL_ROWS = 300


@contextmanager
def small_sandbox(state_dir: Path, rows: int = SMALL_ROWS) -> Iterator[Sandbox]:
    """A seeded org with a small biggest report, served until the block ends."""
    org, server, key = start_sandbox(state_dir, rows=rows)
    try:
        yield Sandbox(org, server, key)
    finally:
        server.stop()
