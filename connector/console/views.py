"""What the console's pages show, computed from `connector.ops` data: pure, no I/O.

Filters of the fleet, the API usage bar, and the run chart's geometry live here so that the
templates only place values, and so that the rules are tested without a browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connector.ops.status import TROUBLE_ORDER, CustomerStatus, RunSummary

#: The fleet filter's choices: every state, and "trouble" (anything but active).
STATE_FILTERS: tuple[str, ...] = ("trouble", *TROUBLE_ORDER)


def matches(status: CustomerStatus, query: str, state: str) -> bool:
    """True when `status` passes the fleet filter (text in the customer id, and the state)."""
    if query and query.strip().lower() not in status.customer_id.lower():
        return False
    if state == "trouble":
        return status.state != "active" or status.parked_activities > 0
    return not state or status.state == state


def filter_fleet(
    statuses: Sequence[CustomerStatus], query: str = "", state: str = ""
) -> list[CustomerStatus]:
    """The statuses passing the filter, in their order (trouble first)."""
    return [status for status in statuses if matches(status, query, state)]


@dataclass(frozen=True)
class UsageBar:
    """The API usage of a customer as a bar: percent of the connector's budget, and a level."""

    percent: int | None
    level: str  # "unknown" | "ok" | "high" | "over"
    label: str


def usage_bar(status: CustomerStatus) -> UsageBar:
    """The usage bar of `status` (share of the connector's daily read budget)."""
    share = status.api.share_of_budget
    if share is None:
        return UsageBar(None, "unknown", "not measured yet")
    percent = round(share * 100)
    level = "over" if share >= 1 else "high" if share >= 0.8 else "ok"
    used, limit = status.api.used, status.api.limit
    return UsageBar(
        min(percent, 100), level, f"{percent}% of budget ({used:,} of {limit:,} calls today)"
    )


@dataclass(frozen=True)
class Bar:
    """One bar of the run chart (SVG user units)."""

    x: float
    y: float
    width: float
    height: float
    value: int
    title: str


@dataclass(frozen=True)
class RunChart:
    """Rows read and API calls per run, oldest left, as bars scaled to the chart's height."""

    width: int
    height: int
    rows: tuple[Bar, ...]
    calls: tuple[Bar, ...]
    max_rows: int
    max_calls: int


def run_chart(runs: Sequence[RunSummary], *, width: int = 480, height: int = 96) -> RunChart:
    """The chart of `runs` (newest first, as stored): two bars per run, each on its own scale."""
    ordered = list(reversed(runs))
    max_rows = max((run.rows_read for run in ordered), default=0)
    max_calls = max((run.api_calls for run in ordered), default=0)
    slot = width / max(len(ordered), 1)
    bar = max(slot / 2 - 2, 1)
    rows, calls = [], []
    for index, run in enumerate(ordered):
        x = index * slot + 1
        label = f"{run.kind} {run.started_at:%Y-%m-%d %H:%M}"
        rows.append(_bar(x, bar, run.rows_read, max_rows, height, f"{label}: {run.rows_read} rows"))
        calls.append(
            _bar(x + bar, bar, run.api_calls, max_calls, height, f"{label}: {run.api_calls} calls")
        )
    return RunChart(width, height, tuple(rows), tuple(calls), max_rows, max_calls)


def _bar(x: float, width: float, value: int, top: int, height: int, title: str) -> Bar:
    scaled = (value / top) * (height - 2) if top else 0.0
    return Bar(
        round(x, 1), round(height - scaled, 1), round(width, 1), round(scaled, 1), value, title
    )
