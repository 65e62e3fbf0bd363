"""The scheduler's and worker's own metrics port: passes, durations, due customers, jobs."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from itertools import count

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from connector.config import get_settings
from connector.errors import ConfigError, StoreError
from connector.schedule import metrics as process_metrics
from connector.schedule import runner
from connector.schedule.executor import InlineExecutor
from connector.schedule.jobs import Outcome
from connector.schedule.metrics import ProcessMetrics, check_metrics_bind, record_job, start
from tests.e2e.conftest import Customer
from tests.helpers.servers import free_port, run_connector


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ProcessMetrics, str]]:
    """Fresh metrics served on a loopback port, no token."""
    monkeypatch.setattr(process_metrics, "_current", None)
    port = free_port()
    metrics, server = start("127.0.0.1", port, None, ProcessMetrics())
    try:
        yield metrics, f"http://127.0.0.1:{port}/metrics"
    finally:
        server.shutdown()
        server.server_close()


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = requests.get(url, timeout=10)
    assert reply.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.text)
        for sample in family.samples
    }


def ticking(step: float) -> object:
    ticks = count()
    return lambda: next(ticks) * step


def test_a_pass_is_counted_timed_and_its_due_customers_and_jobs_exposed(
    demo: Customer, sqlite_engine: Engine, served: tuple[ProcessMetrics, str]
) -> None:
    metrics, url = served
    settings = get_settings()
    runner.run_loop(
        sqlite_engine,
        settings,
        InlineExecutor(sqlite_engine, settings),
        interval=1,
        once=True,
        metrics=metrics,
        clock=ticking(2.5),  # type: ignore[arg-type]
    )

    got = scrape(url)
    assert got[("connector_scheduler_passes_total", (("result", "ok"),))] == 1
    assert got[("connector_scheduler_passes_total", (("result", "failed"),))] == 0
    assert got[("connector_scheduler_pass_duration_seconds_count", ())] == 1
    assert got[("connector_scheduler_pass_duration_seconds_sum", ())] == 2.5
    assert got[("connector_scheduler_due_customers", ())] == 1
    assert got[("connector_jobs_total", (("status", "succeeded"),))] == 1
    assert got[("connector_column_checks_total", ())] == 1
    assert not any("demo" in str(labels) for _, labels in got)  # no customer labels


def test_a_failed_pass_is_counted_as_failed(
    sqlite_engine: Engine,
    served: tuple[ProcessMetrics, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    metrics, url = served

    def broken(*_args: object, **_kwargs: object) -> None:
        raise StoreError("the store is down")

    monkeypatch.setattr(runner, "run_pass", broken)
    settings = get_settings()
    with pytest.raises(StoreError):
        runner.run_loop(
            sqlite_engine,
            settings,
            InlineExecutor(sqlite_engine, settings),
            interval=1,
            once=True,
            metrics=metrics,
        )
    assert scrape(url)[("connector_scheduler_passes_total", (("result", "failed"),))] == 1


def test_jobs_run_by_a_worker_are_counted_in_its_process(
    served: tuple[ProcessMetrics, str],
) -> None:
    _, url = served
    record_job(Outcome("acme", "failed", error_code="INVALID_SESSION_ID"))
    record_job(Outcome("acme", "busy"))
    got = scrape(url)
    assert got[("connector_jobs_total", (("status", "failed"),))] == 1
    assert got[("connector_jobs_total", (("status", "busy"),))] == 1


def test_with_the_operator_token_every_scrape_must_send_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(process_metrics, "_current", None)
    token = secrets.token_hex(24)
    port = free_port()
    _, server = start("127.0.0.1", port, token, ProcessMetrics())
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        assert requests.get(url, timeout=10).status_code == 401
        wrong = {"Authorization": "Bearer " + secrets.token_hex(24)}
        assert requests.get(url, headers=wrong, timeout=10).status_code == 401
        right = {"Authorization": f"Bearer {token}"}
        reply = requests.get(url, headers=right, timeout=10)
        assert reply.status_code == 200 and "connector_scheduler_passes_total" in reply.text
    finally:
        server.shutdown()
        server.server_close()


def test_beyond_loopback_without_the_token_is_refused() -> None:
    check_metrics_bind("127.0.0.1", None)
    check_metrics_bind("0.0.0.0", "a-token")  # noqa: S104
    with pytest.raises(ConfigError, match="CONNECTOR_OPERATOR_TOKEN"):
        check_metrics_bind("0.0.0.0", None)  # noqa: S104


def test_the_cli_refuses_an_open_metrics_port_and_a_prefork_worker(store_url: str) -> None:
    port = str(free_port())
    env = {"CONNECTOR_OPERATOR_TOKEN": ""}
    everywhere = "0.0.0.0"  # noqa: S104
    scheduler = run_connector(
        "scheduler", "run", "--once", "--metrics-host", everywhere, "--metrics-port", port, env=env
    )
    assert scheduler.returncode == 2 and "CONNECTOR_OPERATOR_TOKEN" in scheduler.stderr
    assert "Traceback" not in scheduler.stderr
    worker = run_connector("worker", "--metrics-port", port)
    assert worker.returncode == 2 and "--pool solo" in worker.stderr


def test_the_scheduler_says_where_its_metrics_are(demo: Customer, store_url: str) -> None:
    port = free_port()
    result = run_connector("scheduler", "run", "--once", "--metrics-port", str(port))
    assert result.returncode == 0, result.stderr
    assert f"metrics: http://127.0.0.1:{port}/metrics" in result.stderr
