#!/usr/bin/env python3
"""What a pull costs in report runs and API calls, and the wall time the hourly limit implies.

Computed, not measured: every 2,000-row page is one report run; a pull reads /limits once and
again every 25 pages, lists the folder (two queries) and describes the report. The org allows
500 synchronous and 1,200 asynchronous runs an hour; a pull uses at most its share of each
(CONNECTOR_REPORT_RUN_SHARE, default 0.5), synchronous runs first, then asynchronous ones
(each one create and, in the best case, two polls). When both are spent it stops and resumes
the next hour, so a report needing more runs than an hour allows takes that many hours.

Usage: .venv/bin/python scripts/report_runs.py [--sizes 10000 100000 1000000] [--share 0.5]
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connector.crm.salesforce.run_budget import (
    DEFAULT_SHARE,
    REFRESH_EVERY,
    allowance,
)

ROWS_PER_RUN = 2000
HOURLY_SYNC, HOURLY_ASYNC = 500, 1200
FIXED_CALLS = 3  # folder id, report list, describe
ASYNC_EXTRA_CALLS = 2  # polls of an instance besides its create call, when it is quick


@dataclass(frozen=True)
class RunCost:
    rows: int
    runs: int
    sync_runs: int
    async_runs: int
    api_calls: int
    hours: int  # clock hours the pull spans (1 = it finishes within the hour it starts)


def cost(rows: int, share: float = DEFAULT_SHARE) -> RunCost:
    """The runs, API calls and hours a pull of `rows` rows takes in an otherwise idle org."""
    runs = max(1, math.ceil(rows / ROWS_PER_RUN))
    per_hour_sync = allowance(HOURLY_SYNC, HOURLY_SYNC, share)
    per_hour_async = allowance(HOURLY_ASYNC, HOURLY_ASYNC, share)
    per_hour = per_hour_sync + per_hour_async
    hours = math.ceil(runs / per_hour)
    full_hours, last = divmod(runs, per_hour)
    sync_runs = full_hours * per_hour_sync + min(last, per_hour_sync)
    async_runs = runs - sync_runs
    limits_reads = hours + runs // REFRESH_EVERY
    calls = FIXED_CALLS + limits_reads + sync_runs + async_runs * (1 + ASYNC_EXTRA_CALLS)
    return RunCost(rows, runs, sync_runs, async_runs, calls, hours)


def print_table(sizes: list[int], share: float = DEFAULT_SHARE) -> None:
    per_hour_sync = allowance(HOURLY_SYNC, HOURLY_SYNC, share)
    per_hour_async = allowance(HOURLY_ASYNC, HOURLY_ASYNC, share)
    print(
        f"report runs at a {share:.0%} share: {per_hour_sync} sync + {per_hour_async} async an hour"
    )
    print(
        "| report rows | report runs | sync | async | API calls | wall time (hours) "
        "| sync runs only (hours) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in sizes:
        c = cost(size, share)
        sync_only = math.ceil(c.runs / per_hour_sync)
        print(
            f"| {c.rows:,} | {c.runs:,} | {c.sync_runs:,} | {c.async_runs:,} | {c.api_calls:,} "
            f"| {_span(c.hours)} | {_span(sync_only)} |"
        )


def _span(hours: int) -> str:
    """Clock hours a pull spans: it starts in the first and ends in the last."""
    return "< 1" if hours == 1 else f"{hours - 1}-{hours}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--share", type=float, default=DEFAULT_SHARE)
    args = parser.parse_args()
    print_table(args.sizes, args.share)


if __name__ == "__main__":
    main()
