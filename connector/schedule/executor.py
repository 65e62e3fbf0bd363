"""Executors: who runs the jobs a scheduler pass found due.

`InlineExecutor` (the default) runs each job in the scheduler's own process, one after the
other; `celery_app.CeleryExecutor` hands them to Celery workers instead. Either way the job
is `jobs.run_job`, which takes the customer's lease itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy.engine import Engine

from connector.config import Settings
from connector.schedule.due import Reason
from connector.schedule.jobs import Outcome, run_job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A customer the scheduler found due, and why."""

    customer_id: str
    reason: Reason


class Executor(Protocol):
    """Runs or enqueues jobs; returns what it knows of each (inline: the outcome)."""

    def submit(self, job: Job) -> Outcome | None: ...


class InlineExecutor:
    """Runs every job at once, in this process."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        ttl: timedelta | None = None,
        job: Callable[..., Outcome] = run_job,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.ttl = ttl
        self._job = job

    def submit(self, job: Job) -> Outcome:
        """Run the customer's job now. Raises StoreError when the store fails."""
        outcome = self._job(self.engine, self.settings, job.customer_id, ttl=self.ttl)
        log.info("customer %s: %s (%s)", job.customer_id, outcome.status, job.reason)
        return outcome
