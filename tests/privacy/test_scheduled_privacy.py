"""Retention and erasure run from the scheduler, each on its own clock, audited."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from privacy_builders import NOW, seed_customer
from sqlalchemy.engine import Engine

from connector.config import Settings
from connector.privacy.erase import request_erasure
from connector.schedule.executor import Job
from connector.schedule.runner import run_pass
from connector.store.admin import AdminStore
from connector.store.models import Activity


class NoJobs:
    def submit(self, job: Job) -> None:
        raise AssertionError(f"no sync should be due: {job}")


def settings(tmp_path: Path) -> Settings:
    return Settings(field_maps_dir=tmp_path / "no-maps")


def retention_events(store) -> list:  # type: ignore[no-untyped-def]
    return [e for e in store.audit_events(100) if e.action == "retention"]


def test_the_scheduler_applies_retention_once_per_interval(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    store = seed_customer(sqlite_engine, "acme")
    assert store.count(Activity) == 6  # 3 people x (10 and 500 days old)

    report = run_pass(sqlite_engine, settings(tmp_path), NoJobs(), NOW)  # type: ignore[arg-type]
    assert report.retention == 1
    assert store.count(Activity) == 3
    (event,) = retention_events(store)
    assert event.actor == "scheduler"
    assert json.loads(event.detail or "{}") == {"older_than_days": 365, "change_log_days": 30}

    run_pass(sqlite_engine, settings(tmp_path), NoJobs(), NOW + timedelta(hours=23))  # type: ignore[arg-type]
    assert len(retention_events(store)) == 1  # not due again yet

    report = run_pass(sqlite_engine, settings(tmp_path), NoJobs(), NOW + timedelta(hours=25))  # type: ignore[arg-type]
    assert report.retention == 1
    assert len(retention_events(store)) == 2


def test_erasure_and_retention_are_due_on_their_own_clocks(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("connector.privacy.erase.revoke_crm_tokens", lambda _e, _c: None)
    seed_customer(sqlite_engine, "acme")
    beta = seed_customer(sqlite_engine, "beta")
    request_erasure(sqlite_engine, "acme", "cli:ops", on=NOW + timedelta(days=2), now=NOW)

    first = run_pass(sqlite_engine, settings(tmp_path), NoJobs(), NOW)  # type: ignore[arg-type]
    assert (first.erasures, first.retention) == (0, 2)
    later = run_pass(sqlite_engine, settings(tmp_path), NoJobs(), NOW + timedelta(days=2, hours=1))  # type: ignore[arg-type]
    assert later.erasures == 1
    assert later.retention == 1  # beta only: acme's partition is gone
    record = AdminStore(sqlite_engine).get_erasure("acme")
    assert record is not None and record.done_at is not None
    assert len(retention_events(beta)) == 2
