"""The Celery executor: the scheduler enqueues, workers run `jobs.run_job` under the lease.

Start a worker with `connector worker` (or `celery -A connector.schedule.celery_app worker`);
the broker is `CONNECTOR_CELERY_BROKER_URL` (default redis://127.0.0.1:6379/0). Tasks are
acknowledged late and re-queued when a worker dies, so delivery is at least once; that is
safe because the job takes the customer's lease and re-checks that the customer is still
due before it syncs, so a duplicate finds the customer busy or already done.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from celery import Celery
from sqlalchemy.engine import Engine

from connector.config import get_settings
from connector.errors import ConnectorError
from connector.schedule.executor import Job
from connector.schedule.jobs import run_job
from connector.schedule.metrics import record_job
from connector.schedule.settings import get_schedule_settings
from connector.store.engine import open_engine

SYNC_TASK = "connector.sync_customer"


def make_celery(broker_url: str | None = None, queue: str | None = None) -> Celery:
    """A Celery app for `broker_url` (default: the settings') with at-least-once delivery."""
    settings = get_schedule_settings()
    celery = Celery("connector", broker=broker_url or settings.celery_broker_url)
    celery.conf.update(
        task_default_queue=queue or settings.celery_queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    celery.task(name=SYNC_TASK)(sync_customer)
    return celery


_engine: Engine | None = None
_engine_lock = threading.Lock()


def worker_engine() -> Engine:
    """The store engine of this worker process, made once (its schema checked)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            settings = get_settings()
            _engine = open_engine(settings.resolved_database_url(), tenant_key=settings.tenant_key)
        return _engine


def sync_customer(customer_id: str) -> dict[str, Any]:
    """The task: run the customer's job (if it is due and its lease is free)."""
    settings = get_schedule_settings()
    outcome = run_job(
        worker_engine(), get_settings(), customer_id, ttl=timedelta(seconds=settings.lease_ttl)
    )
    record_job(outcome)
    return outcome.as_dict()


class CeleryExecutor:
    """Enqueues one task per due customer; the outcome is known only to the worker."""

    def __init__(self, celery: Celery | None = None) -> None:
        self.celery = celery or app

    def submit(self, job: Job) -> None:
        """Enqueue the customer's job. Raises ConnectorError when the broker cannot be reached."""
        try:
            self.celery.send_task(SYNC_TASK, args=[job.customer_id])
        except Exception as exc:  # kombu and redis raise their own connection errors
            raise ConnectorError(
                f"cannot enqueue the sync: broker unreachable ({type(exc).__name__})",
                customer=job.customer_id,
            ) from exc


#: The app `celery -A connector.schedule.celery_app worker` finds.
app = make_celery()
