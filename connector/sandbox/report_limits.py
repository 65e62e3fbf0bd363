"""The Reports and Dashboards REST API's per-org run limits, on a clock tests can move.

* 500 synchronous runs per rolling hour and 20 at a time;
* 1,200 asynchronous run requests (``POST …/instances``) per rolling hour;
* a synchronous run longer than 2 minutes fails (the sandbox scales that by
  `sync_timeout_scale`, so a test can make every run "too slow" without waiting);
* asynchronous results are kept for 24 hours.

The facts and where they come from are in ``docs/salesforce-limits.md``. Every sync run counts,
whoever asks (the connector, a dashboard, the customer's people via `charge_sync`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from connector.sandbox.errors import ApiError

HOUR = 3600.0
HOURLY_SYNC_RUNS = 500
CONCURRENT_SYNC_RUNS = 20
HOURLY_ASYNC_RUNS = 1200
CONCURRENT_ASYNC_RESULTS = 200
SYNC_TIMEOUT = 120.0
INSTANCE_LIFETIME = 24 * HOUR


def hourly_limit_exceeded(kind: str, maximum: int) -> ApiError:
    """The refusal once an hourly report-run allowance is spent."""
    return ApiError(
        403,
        "FORBIDDEN",
        f"You've reached the limit of {maximum} {kind} report runs per hour. Try again later.",
    )


def concurrent_limit_exceeded() -> ApiError:
    return ApiError(
        403,
        "FORBIDDEN",
        f"You've reached the limit of {CONCURRENT_SYNC_RUNS} concurrent synchronous report "
        "runs. Try again later.",
    )


def sync_timeout() -> ApiError:
    return ApiError(
        500,
        "REPORT_TIMEOUT",
        "The report took too long to run. Run it asynchronously or narrow it with filters.",
    )


class ReportRunLimits:
    """Counts sync and async report runs per rolling hour; `advance` moves its clock."""

    def __init__(self) -> None:
        self.hourly_sync_max = HOURLY_SYNC_RUNS
        self.concurrent_sync_max = CONCURRENT_SYNC_RUNS
        self.hourly_async_max = HOURLY_ASYNC_RUNS
        self.sync_timeout_scale = 1.0
        self._offset = 0.0
        self._sync: deque[float] = deque()
        self._async: deque[float] = deque()
        self._running = 0
        self._lock = threading.Lock()

    # -- clock ------------------------------------------------------------------------------
    def now(self) -> float:
        """Seconds on the org's clock (wall time plus whatever tests advanced)."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the org's clock forward: runs older than an hour stop counting."""
        with self._lock:
            self._offset += seconds

    @property
    def sync_timeout(self) -> float:
        return SYNC_TIMEOUT * self.sync_timeout_scale

    # -- counting ---------------------------------------------------------------------------
    def _prune(self, runs: deque[float]) -> None:
        horizon = self.now() - HOUR
        while runs and runs[0] <= horizon:
            runs.popleft()

    def remaining_sync(self) -> int:
        with self._lock:
            self._prune(self._sync)
            return max(0, self.hourly_sync_max - len(self._sync))

    def remaining_async(self) -> int:
        with self._lock:
            self._prune(self._async)
            return max(0, self.hourly_async_max - len(self._async))

    def remaining_concurrent(self) -> int:
        with self._lock:
            return max(0, self.concurrent_sync_max - self._running)

    def charge_sync(self, runs: int = 1) -> None:
        """Count `runs` sync runs made by someone else (the customer's people, dashboards)."""
        with self._lock:
            self._sync.extend([self.now()] * runs)

    @contextmanager
    def sync_run(self) -> Iterator[None]:
        """Admit one sync run (403 when the hour or the concurrency is spent) and count it."""
        with self._lock:
            self._prune(self._sync)
            if len(self._sync) >= self.hourly_sync_max:
                raise hourly_limit_exceeded("synchronous", self.hourly_sync_max)
            if self._running >= self.concurrent_sync_max:
                raise concurrent_limit_exceeded()
            self._sync.append(self.now())
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1

    def admit_async(self) -> None:
        """Admit one async run request (403 when the hour is spent) and count it."""
        with self._lock:
            self._prune(self._async)
            if len(self._async) >= self.hourly_async_max:
                raise hourly_limit_exceeded("asynchronous", self.hourly_async_max)
            self._async.append(self.now())

    def reset(self) -> None:
        """Forget every counted run and restore the documented limits."""
        with self._lock:
            self.hourly_sync_max = HOURLY_SYNC_RUNS
            self.concurrent_sync_max = CONCURRENT_SYNC_RUNS
            self.hourly_async_max = HOURLY_ASYNC_RUNS
            self.sync_timeout_scale = 1.0
            self._offset = 0.0
            self._sync.clear()
            self._async.clear()
