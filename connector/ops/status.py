"""A customer's operational status as plain data, and the pure rules that derive it.

Nothing here touches the store or the network: `connector.ops.fleet` gathers the facts, the
functions below decide what they mean (state, trouble order, shares of the API allowance), and
the CLI and the web API render the same `CustomerStatus`. No field holds personal data: runs
carry counts, API usage and error codes only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

State = Literal["erasing", "reconnect_needed", "failing", "paused", "active"]

#: Consecutive failed runs after which an active customer counts as failing.
FAILING_AFTER = 3

#: Trouble first: the order `connector status` and `GET /api/customers` list customers in.
TROUBLE_ORDER: tuple[State, ...] = ("erasing", "reconnect_needed", "failing", "paused", "active")


@dataclass(frozen=True)
class RunSummary:
    """One run as an operator needs it: what, how it ended, when, how long, how much."""

    run_id: str
    kind: str
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_read: int
    prospects_written: int
    rejected: int
    activities_pushed: int
    activities_failed: int
    api_calls: int
    error_code: str | None

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to finish (None while running)."""
        if self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


@dataclass(frozen=True)
class ApiUsage:
    """The org's daily API usage as last seen by a run, against the org's limit and our budget."""

    used: int | None
    limit: int | None
    budget_share: float

    @property
    def share_of_limit(self) -> float | None:
        """Used / the org's daily allowance (None when unknown)."""
        if self.used is None or not self.limit:
            return None
        return self.used / self.limit

    @property
    def share_of_budget(self) -> float | None:
        """Used / the connector's read budget (the allowance times the budget share)."""
        share = self.share_of_limit
        if share is None or self.budget_share <= 0:
            return None
        return share / self.budget_share


@dataclass(frozen=True)
class ReportRunUsage:
    """The org's hourly synchronous report runs as the last run read them from `/limits`."""

    remaining: int
    limit: int
    seen_at: datetime

    @property
    def used(self) -> int:
        """Runs spent this hour by anyone (the customer's people included)."""
        return max(0, self.limit - self.remaining)

    @property
    def share_used(self) -> float | None:
        """Used / the org's hourly allowance (None when the org reports no allowance)."""
        return self.used / self.limit if self.limit else None

    def to_json(self) -> dict[str, Any]:
        return {
            "used": self.used,
            "left": self.remaining,
            "limit": self.limit,
            "seen_at": _iso(self.seen_at),
        }


@dataclass(frozen=True)
class CustomerStatus:
    """Everything `connector status` shows of one customer."""

    customer_id: str
    state: State
    reason: str | None
    paused_by: str | None
    paused_at: datetime | None
    connected: bool
    next_due_at: datetime | None
    consecutive_failures: int
    last_run: RunSummary | None
    last_pull: RunSummary | None
    api: ApiUsage
    pending_activities: int
    parked_activities: int
    pending_resyncs: int
    erasure_due_at: datetime | None = None
    recent_runs: tuple[RunSummary, ...] = field(default_factory=tuple)
    report_runs: ReportRunUsage | None = None
    column_check_at: datetime | None = None
    column_problems: int | None = None

    @property
    def rejected_last_run(self) -> int:
        """Rows the last pull refused (0 when no pull ran)."""
        return self.last_pull.rejected if self.last_pull else 0

    def to_json(self, *, detail: bool = False) -> dict[str, Any]:
        """A JSON-ready dict (ISO-8601 times); `detail` adds the recent runs."""
        data: dict[str, Any] = {
            "customer": self.customer_id,
            "state": self.state,
            "reason": self.reason,
            "paused_by": self.paused_by,
            "paused_at": _iso(self.paused_at),
            "connected": self.connected,
            "next_due_at": _iso(self.next_due_at),
            "consecutive_failures": self.consecutive_failures,
            "last_run": run_json(self.last_run),
            "rejected_last_run": self.rejected_last_run,
            "api": {
                "used": self.api.used,
                "limit": self.api.limit,
                "share_of_limit": _round(self.api.share_of_limit),
                "share_of_budget": _round(self.api.share_of_budget),
            },
            "report_runs": self.report_runs.to_json() if self.report_runs else None,
            "activities": {"pending": self.pending_activities, "parked": self.parked_activities},
            "pending_resyncs": self.pending_resyncs,
            "column_check": {
                "checked_at": _iso(self.column_check_at),
                "problems": self.column_problems,
            },
            "erasure_due_at": _iso(self.erasure_due_at),
        }
        if detail:
            data["recent_runs"] = [run_json(run) for run in self.recent_runs]
        return data


def derive_state(
    customer_status: str | None,
    *,
    consecutive_failures: int,
    erasure_pending: bool,
    failing_after: int = FAILING_AFTER,
) -> State:
    """The operator's word for a customer, from the stored status and its recent history.

    An erasure outranks everything (the customer is paused for it); then a needed reconnect;
    then a pause by an operator; an active customer whose last `failing_after` runs failed is
    failing.
    """
    if erasure_pending:
        return "erasing"
    if customer_status == "reconnect_needed":
        return "reconnect_needed"
    if customer_status == "paused":
        return "paused"
    if consecutive_failures >= failing_after:
        return "failing"
    return "active"


def trouble_key(status: CustomerStatus) -> tuple[int, int, str]:
    """Sort key: worst state first, then most failures, then the customer id."""
    return (TROUBLE_ORDER.index(status.state), -status.consecutive_failures, status.customer_id)


def sort_by_trouble(statuses: list[CustomerStatus]) -> list[CustomerStatus]:
    """The statuses with trouble first (see `trouble_key`)."""
    return sorted(statuses, key=trouble_key)


def run_json(run: RunSummary | None) -> dict[str, Any] | None:
    """A run as a JSON-ready dict (None stays None)."""
    if run is None:
        return None
    data = asdict(run)
    data["started_at"] = _iso(run.started_at)
    data["finished_at"] = _iso(run.finished_at)
    data["duration_seconds"] = _round(run.duration_seconds)
    return data


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None
