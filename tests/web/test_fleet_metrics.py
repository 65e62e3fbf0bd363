"""`/metrics` carries per-customer figures read from the store, labelled by customer only."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from connector.store import TenantStore


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_runs_rows_api_usage_outbox_and_state_are_exported_per_customer(
    client: TestClient, sqlite_engine: Engine
) -> None:
    store = TenantStore(sqlite_engine, "acme")
    run = store.start_run("pull", trigger="schedule")
    run.status, run.rows_read, run.prospects_written, run.rejected = "succeeded", 120, 80, 2
    run.api_used, run.api_limit = 300, 15_000
    run.finished_at = run.started_at + timedelta(seconds=42)
    store.save_run(run)
    failed = store.start_run("push")
    failed.status, failed.finished_at = "failed", failed.started_at + timedelta(seconds=3)
    store.save_run(failed)
    TenantStore(sqlite_engine, "bravo").mark_reconnect_needed("invalid_grant")

    got = samples(client)

    def value(name: str, **labels: str) -> float | None:
        return got.get((name, tuple(sorted(labels.items()))))

    assert value("connector_runs_total", customer="acme", kind="pull", status="succeeded") == 1
    assert value("connector_runs_total", customer="acme", kind="push", status="failed") == 1
    assert value("connector_last_pull_rows", customer="acme", what="read") == 120
    assert value("connector_last_pull_rows", customer="acme", what="written") == 80
    assert value("connector_last_pull_rows", customer="acme", what="rejected") == 2
    assert value("connector_api_used", customer="acme") == 300
    assert value("connector_api_limit", customer="acme") == 15_000
    assert value("connector_outbox_activities", customer="acme", status="pending") == 0
    assert value("connector_customer_state", customer="acme", state="active") == 1
    assert value("connector_customer_state", customer="bravo", state="reconnect_needed") == 1
    assert value("connector_customer_state", customer="bravo", state="active") == 0
    assert value("connector_run_duration_seconds_count", customer="acme", kind="pull") == 1
    assert value("connector_run_duration_seconds_sum", customer="acme", kind="pull") == 42
    assert (
        value("connector_run_duration_seconds_bucket", customer="acme", kind="pull", le="30.0") == 0
    )
    assert (
        value("connector_run_duration_seconds_bucket", customer="acme", kind="pull", le="60.0") == 1
    )
    since = value("connector_seconds_since_last_success", customer="acme", kind="pull")
    assert since is not None and since >= 0
    assert value("connector_seconds_since_last_success", customer="acme", kind="push") is None


def test_labels_are_customer_ids_and_fixed_words_only(
    client: TestClient, sqlite_engine: Engine
) -> None:
    allowed = {"customer", "kind", "status", "state", "what", "le", "hook", "outcome", "source"}
    for _name, labels in samples(client):
        assert {key for key, _ in labels} <= allowed
