"""How many report runs a pull may spend this hour, and whether synchronously (pure).

Salesforce allows each org 500 synchronous report runs an hour (and 1,200 asynchronous run
requests), shared with the customer's own people and dashboards; every 2,000-row page is one
run. A pull may use at most `share` of each allowance: it leaves ``ceil(Max * (1 - share))``
runs of the hour untouched, whoever spent the rest. When the synchronous allowance is short it
switches to asynchronous instances; when both are, the run stops (``REPORT_RUN_BUDGET``) and
the next scheduled pull resumes from its checkpoint once the hour has rolled on.

`RunPlanner` is fed the org's live counters (``/limits``) and asked before every page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

RunMode = Literal["sync", "async"]
DEFAULT_SHARE = 0.5
REFRESH_EVERY = 25  # pages between re-reads of the live counters during a pull


@dataclass(frozen=True)
class RunLimits:
    """The org's hourly report-run counters, as ``/limits`` reports them."""

    sync_max: int
    sync_remaining: int
    async_max: int
    async_remaining: int

    @classmethod
    def from_limits(cls, body: Mapping[str, Any]) -> RunLimits:
        """Read ``HourlySyncReportRuns`` / ``HourlyAsyncReportRuns`` (absent counts as 0)."""

        def pair(name: str) -> tuple[int, int]:
            entry = body.get(name)
            if not isinstance(entry, Mapping):
                return 0, 0
            return int(entry.get("Max") or 0), int(entry.get("Remaining") or 0)

        sync_max, sync_remaining = pair("HourlySyncReportRuns")
        async_max, async_remaining = pair("HourlyAsyncReportRuns")
        return cls(sync_max, sync_remaining, async_max, async_remaining)


def allowance(remaining: int, maximum: int, share: float) -> int:
    """Runs we may still spend: what remains above the reserve kept for everyone else."""
    reserve = math.ceil(maximum * (1 - share) - 1e-9)
    return max(0, remaining - reserve)


class RunPlanner:
    """Chooses sync or async for each page within the allowances; None means stop."""

    def __init__(self, limits: RunLimits, share: float = DEFAULT_SHARE) -> None:
        if not 0 < share <= 1:
            raise ValueError("the report-run share must be in (0, 1]")
        self.share = share
        self.limits = limits
        self._sync_used = 0
        self._async_used = 0
        self.pages_since_refresh = 0

    def refresh(self, limits: RunLimits) -> None:
        """New live counters: they already include every run this planner allowed."""
        self.limits = limits
        self._sync_used = self._async_used = 0
        self.pages_since_refresh = 0

    @property
    def sync_remaining(self) -> int:
        """The org's synchronous runs left this hour, counting the runs this planner spent."""
        return max(0, self.limits.sync_remaining - self._sync_used)

    @property
    def sync_left(self) -> int:
        limits = self.limits
        return allowance(limits.sync_remaining, limits.sync_max, self.share) - self._sync_used

    @property
    def async_left(self) -> int:
        limits = self.limits
        return allowance(limits.async_remaining, limits.async_max, self.share) - self._async_used

    def next_mode(self) -> RunMode | None:
        """How to run the next page, or None when both allowances are spent."""
        if self.sync_left > 0:
            return "sync"
        if self.async_left > 0:
            return "async"
        return None

    def needs_refresh(self) -> bool:
        return self.next_mode() is None or self.pages_since_refresh >= REFRESH_EVERY

    def spend(self, mode: RunMode) -> None:
        if mode == "sync":
            self._sync_used += 1
        else:
            self._async_used += 1
        self.pages_since_refresh += 1

    def summary(self) -> str:
        limits = self.limits
        return (
            f"{limits.sync_remaining}/{limits.sync_max} synchronous and "
            f"{limits.async_remaining}/{limits.async_max} asynchronous report runs left this "
            f"hour; a pull may use {self.share:.0%} of each"
        )
