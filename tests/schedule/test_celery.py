"""The Celery executor with a real worker process on the local Redis.

`connector scheduler run --once --executor celery` enqueues the due customer; a
`connector worker --pool solo` process takes the lease and syncs it. Enqueuing it twice
(at-least-once delivery) still gives one run. Skips where Redis is absent (fails in CI).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from celery import Celery

from connector.errors import ConnectorError
from connector.schedule.celery_app import CeleryExecutor, make_celery
from connector.schedule.executor import Job
from connector.store.models import SyncRun
from tests.conftest import REDIS_URL, REPO, service_missing
from tests.e2e.conftest import Customer
from tests.helpers.servers import connector_command, run_connector

#: The tests' Redis database; each test gets a queue of its own and deletes its keys after.
BROKER_URL = REDIS_URL


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test broker URL and a fresh queue name, exported for the subprocesses.

    Afterwards the queue's keys (the queue, its bindings) are deleted from Redis.
    """
    try:
        redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:  # not answering; an import or a bug fails instead
        service_missing(f"Redis not reachable at {BROKER_URL}: {type(exc).__name__}")
    queue = f"connector-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("CONNECTOR_CELERY_BROKER_URL", BROKER_URL)
    monkeypatch.setenv("CONNECTOR_CELERY_QUEUE", queue)
    yield BROKER_URL
    client = redis.Redis.from_url(BROKER_URL)
    stale = list(client.scan_iter(match=f"*{queue}*"))
    if stale:
        client.delete(*stale)


@pytest.fixture
def worker(broker: str, demo: Customer, store_url: str) -> Iterator[subprocess.Popen[str]]:
    """A real Celery worker process (solo pool) on the test queue and store."""
    process = subprocess.Popen(
        connector_command("worker", "--pool", "solo", "--loglevel", "INFO"),
        cwd=REPO,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_for_worker_idle(celery: Celery, url: str, queue: str, timeout: float = 30) -> None:
    """Return once the queue is empty and the worker reports no active or reserved task.

    A solo-pool worker answers control messages only between tasks, so an answer with no
    task in hand means every delivery taken from the queue has finished.
    """
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.llen(queue) == 0:
            inspect = celery.control.inspect(timeout=1)
            active, reserved = inspect.active(), inspect.reserved()
            if active and reserved and not any(active.values()) and not any(reserved.values()):
                return
        time.sleep(0.2)
    pytest.fail(f"the worker still had tasks after {timeout}s")


def wait_for_runs(customer: Customer, count: int, timeout: float = 90) -> list[SyncRun]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = [r for r in customer.store.list_runs(50) if r.status != "running"]
        if len(runs) >= count:
            return runs
        time.sleep(0.3)
    return customer.store.list_runs(50)


def test_given_celery_executor_then_a_real_worker_syncs_the_due_customer_once(
    demo: Customer, worker: subprocess.Popen[str], broker: str
) -> None:
    result = run_connector("scheduler", "run", "--once", "--executor", "celery")
    assert result.returncode == 0, result.stderr
    assert "enqueued" in result.stdout
    # the broker delivers the task a second time (at-least-once): still one run
    duplicate = make_celery(broker, os.environ["CONNECTOR_CELERY_QUEUE"])
    CeleryExecutor(duplicate).submit(Job("demo", "schedule"))
    runs = wait_for_runs(demo, 1)
    assert [(r.kind, r.trigger, r.status) for r in runs] == [("pull", "schedule", "succeeded")]
    wait_for_worker_idle(duplicate, broker, os.environ["CONNECTOR_CELERY_QUEUE"])
    assert len(demo.store.list_runs(50)) == 1
    assert demo.store.schedule_state().next_due_at is not None
    assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""


def test_given_broker_down_then_enqueue_fails_with_a_connector_error() -> None:
    celery = make_celery("redis://127.0.0.1:1/0", "nowhere")
    celery.conf.broker_transport_options = {"max_retries": 0}
    with pytest.raises(ConnectorError, match="broker unreachable"):
        CeleryExecutor(celery).submit(Job("demo", "schedule"))
