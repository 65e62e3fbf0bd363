"""The report-run planner: a share of the org's hourly runs, sync first, then async, then stop."""

from __future__ import annotations

import pytest

from connector.crm.salesforce.run_budget import (
    REFRESH_EVERY,
    RunLimits,
    RunPlanner,
    allowance,
)


@pytest.mark.parametrize(
    ("remaining", "maximum", "share", "expected"),
    [
        (500, 500, 0.5, 250),  # a fresh hour: half of it
        (300, 500, 0.5, 50),  # the customer's people ran 200: we keep 250 free for them
        (250, 500, 0.5, 0),
        (100, 500, 0.5, 0),
        (500, 500, 1.0, 500),
        (500, 500, 0.1, 50),
        (0, 0, 0.5, 0),  # an org without the counter
    ],
)
def test_allowance_keeps_the_rest_of_the_hour_for_everyone_else(
    remaining: int, maximum: int, share: float, expected: int
) -> None:
    assert allowance(remaining, maximum, share) == expected


def test_limits_are_read_from_the_limits_resource_and_missing_ones_count_as_zero() -> None:
    body = {
        "HourlySyncReportRuns": {"Max": 500, "Remaining": 420},
        "HourlyAsyncReportRuns": {"Max": 1200, "Remaining": 1199},
    }
    assert RunLimits.from_limits(body) == RunLimits(500, 420, 1200, 1199)
    assert RunLimits.from_limits({}) == RunLimits(0, 0, 0, 0)


def test_given_a_short_sync_budget_then_pages_switch_to_async_and_then_stop() -> None:
    planner = RunPlanner(RunLimits(500, 252, 1200, 601), share=0.5)
    modes = []
    while (mode := planner.next_mode()) is not None:
        planner.spend(mode)
        modes.append(mode)
    assert modes == ["sync", "sync", "async"]
    assert "252/500 synchronous" in planner.summary()


def test_refreshed_counters_replace_what_was_spent() -> None:
    planner = RunPlanner(RunLimits(500, 251, 1200, 0), share=0.5)
    planner.spend("sync")
    assert planner.next_mode() is None and planner.needs_refresh()
    planner.refresh(RunLimits(500, 500, 1200, 0))  # the hour rolled on
    assert planner.sync_left == 250 and not planner.needs_refresh()


def test_counters_are_re_read_every_few_pages_during_a_pull() -> None:
    planner = RunPlanner(RunLimits(500, 500, 1200, 1200))
    for _ in range(REFRESH_EVERY):
        planner.spend("sync")
    assert planner.needs_refresh()


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5])
def test_a_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        RunPlanner(RunLimits(500, 500, 1200, 1200), share=share)
