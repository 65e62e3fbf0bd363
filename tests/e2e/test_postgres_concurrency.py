"""On PostgreSQL, commands started while a sync is writing neither block it nor deadlock with
it: start-up only reads the schema revision, it never installs anything."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from connector.sandbox import FaultRule
from connector.store import TenantStore
from connector.store.models import Prospect
from tests.conftest import REPO, PostgresStore
from tests.e2e.conftest import Sandbox, connect, point_at
from tests.e2e.truth import assert_store_matches_org


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_command_starting_while_a_sync_holds_its_write_locks_needs_none_of_them(
    postgres: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres.export(monkeypatch)
    store = TenantStore(postgres.app, "demo")
    store.start_run("pull")
    # a page in flight: prospects and memberships written, the transaction still open
    with store.session() as session:
        session.add(Prospect(customer_id="demo", crm_id="003000000000001AAA", row_hash="h"))
        session.flush()
        # a lock the command would need waits 3 s and then fails, instead of hanging
        read = run_cli("runs", "demo", PGOPTIONS="-c lock_timeout=3000")

    assert read.returncode == 0, read.stderr
    assert " running " in read.stdout


@pytest.mark.slow
def test_runs_during_a_postgres_sync_leaves_both_to_finish(
    sandbox: Sandbox, postgres: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(sandbox, monkeypatch)
    postgres.export(monkeypatch)
    customer = connect(sandbox, postgres.app, "demo")
    # every report page takes a while (longer than a `runs` command takes to start and read,
    # now that a page is written in milliseconds), so the sync is still writing during `runs`
    sandbox.org.set_faults(
        [FaultRule(endpoint=r"/analytics/reports/00O", status=200, latency_ms=1500)]
    )
    sync = subprocess.Popen(
        [sys.executable, "-m", "connector", "sync", "demo", "--no-progress"],
        cwd=REPO,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    store = TenantStore(postgres.app, "demo")
    deadline = time.monotonic() + 120
    while store.count(Prospect) == 0 and sync.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # polling for the first committed page, not waiting for an outcome

    reads: list[subprocess.CompletedProcess[str]] = []
    while sync.poll() is None and time.monotonic() < deadline:
        reads.append(run_cli("runs", "demo"))
    sync.wait(timeout=120)
    sandbox.org.clear_faults()

    assert sync.returncode == 0, sync.stderr.read() if sync.stderr else ""
    assert reads, "the sync ended before any read started"
    for read in reads:
        assert read.returncode == 0, read.stderr
        assert "deadlock" not in read.stderr
    assert any(" running " in read.stdout for read in reads), reads[0].stdout
    assert store.list_runs()[0].status == "succeeded"
    assert store.count(Prospect) > 5000
    assert_store_matches_org(customer.store, sandbox.org)
