"""Retention: activity metadata older than the configured age is deleted, per customer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from privacy_builders import NOW, seed_customer
from sqlalchemy.engine import Engine

from connector.privacy.retention import purge_old_activities, run_retention
from connector.store.models import Activity


def test_activities_older_than_the_age_are_deleted_and_newer_ones_kept(engine: Engine) -> None:
    store = seed_customer(engine, "acme")
    other = seed_customer(engine, "beta")

    deleted = purge_old_activities(store, timedelta(days=365), now=NOW)

    assert deleted == 3
    assert store.count(Activity) == 3
    assert other.count(Activity) == 6
    [event] = [e for e in store.audit_events() if e.action == "retention"]
    assert event.actor == "scheduler"


def test_run_retention_uses_the_configured_age_for_every_customer(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_ACTIVITY_RETENTION_DAYS", "5")
    seed_customer(sqlite_engine, "acme")
    seed_customer(sqlite_engine, "beta")

    assert run_retention(sqlite_engine, now=NOW) == {"acme": 6, "beta": 6}
    assert run_retention(sqlite_engine, ["acme"], now=NOW) == {"acme": 0}
