"""Pure planning: who is due, when next, jitter, back-off and cron, as tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.schedule.due import (
    MAX_BACKOFF,
    ResyncPolicy,
    Rule,
    backoff,
    due_reason,
    jitter_offset,
    next_due,
    next_due_after_failure,
    next_slot,
)
from connector.store.resync import CustomerSchedule

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def state(**fields: object) -> CustomerSchedule:
    return CustomerSchedule(customer_id="acme", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        (state(), "schedule"),  # never ran
        (state(next_due_at=NOW), "schedule"),
        (state(next_due_at=NOW - MIN), "schedule"),
        (state(next_due_at=NOW + MIN), None),
        (state(next_due_at=NOW + MIN, pending_resyncs=1), "resync"),
        (state(next_due_at=NOW - MIN, pending_resyncs=2), "resync"),
        (state(status="paused", pending_resyncs=1), None),
        (state(status="reconnect_needed"), None),
        (state(status="reconnect_needed", next_due_at=NOW - MIN), None),
        # a failing customer's resync waits for the back-off
        (state(next_due_at=NOW + MIN, pending_resyncs=1, consecutive_failures=2), None),
        (state(next_due_at=NOW - MIN, pending_resyncs=1, consecutive_failures=2), "resync"),
    ],
)
def test_given_customer_state_when_planning_then_due_reason_is(
    customer: CustomerSchedule, expected: str | None
) -> None:
    assert due_reason(customer, NOW) == expected


LATER = NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        # the gap since the last resync has not passed: the request waits
        (state(next_due_at=LATER, pending_resyncs=1, last_resync_at=NOW - 14 * MIN), None),
        (state(next_due_at=LATER, pending_resyncs=1, last_resync_at=NOW - 15 * MIN), "resync"),
        # meanwhile the schedule runs as usual (a plain, not full, pull)
        (state(next_due_at=NOW, pending_resyncs=1, last_resync_at=NOW - MIN), "schedule"),
        # the day's cap is reached: no more resyncs until the oldest leaves the window
        (state(next_due_at=LATER, pending_resyncs=1, resyncs_last_day=24), None),
        (state(next_due_at=LATER, pending_resyncs=1, resyncs_last_day=23), "resync"),
    ],
)
def test_given_recent_resyncs_when_planning_then_the_policy_rations_them(
    customer: CustomerSchedule, expected: str | None
) -> None:
    assert due_reason(customer, NOW, ResyncPolicy()) == expected


def test_resync_policy_is_read_from_the_settings() -> None:
    from connector.config import Settings

    settings = Settings(resync_min_gap_minutes=60, resync_daily_cap=3)
    assert ResyncPolicy.of(settings) == ResyncPolicy(timedelta(hours=1), 3)
    assert ResyncPolicy.of(Settings()) == ResyncPolicy(timedelta(minutes=15), 24)


@pytest.mark.parametrize(
    ("failures", "expected"),
    [
        (0, timedelta(0)),
        (1, timedelta(minutes=5)),
        (2, timedelta(minutes=10)),
        (3, timedelta(minutes=20)),
        (6, timedelta(minutes=160)),
        (7, timedelta(minutes=320)),
        (8, MAX_BACKOFF),
        (50, MAX_BACKOFF),
        (10_000, MAX_BACKOFF),
    ],
)
def test_given_consecutive_failures_then_backoff_doubles_up_to_six_hours(
    failures: int, expected: timedelta
) -> None:
    assert backoff(failures) == expected


@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        ("*/15 * * * *", NOW, NOW + timedelta(minutes=15)),
        ("*/15 * * * *", NOW + timedelta(minutes=1), NOW + timedelta(minutes=15)),
        ("0 3 * * *", NOW, datetime(2024, 5, 7, 3, 0, tzinfo=UTC)),
        (
            "30 8 * * mon-fri",
            datetime(2024, 5, 10, 9, 0, tzinfo=UTC),
            datetime(2024, 5, 13, 8, 30, tzinfo=UTC),
        ),
        ("@hourly", NOW, NOW + timedelta(hours=1)),
        ("@daily", NOW, datetime(2024, 5, 7, 0, 0, tzinfo=UTC)),
    ],
)
def test_given_cron_rule_then_next_slot_is_next_match_in_utc(
    cron: str, after: datetime, expected: datetime
) -> None:
    assert next_slot(Rule(cron=cron), after) == expected


def test_given_interval_rule_then_next_slot_is_start_plus_interval() -> None:
    assert next_slot(Rule(every=timedelta(minutes=15)), NOW) == NOW + timedelta(minutes=15)


def test_given_rule_without_every_or_cron_then_next_slot_refuses() -> None:
    with pytest.raises(ValueError, match="every"):
        next_slot(Rule(), NOW)


def test_given_no_jitter_then_offset_is_zero() -> None:
    assert jitter_offset("acme", NOW, timedelta(0)) == timedelta(0)


def test_given_jitter_then_offsets_are_stable_bounded_and_spread() -> None:
    jitter = timedelta(minutes=5)
    offsets = [jitter_offset(f"customer-{i}", NOW, jitter) for i in range(200)]
    assert all(timedelta(0) <= o < jitter for o in offsets)
    assert offsets == [jitter_offset(f"customer-{i}", NOW, jitter) for i in range(200)]
    assert len(set(offsets)) > 100  # spread, not clumped on one value
    assert min(offsets) < timedelta(minutes=1) and max(offsets) > timedelta(minutes=4)


def test_given_success_then_next_due_is_next_slot_plus_jitter() -> None:
    rule = Rule(every=timedelta(minutes=15), jitter=timedelta(seconds=30))
    due = next_due(rule, "acme", NOW)
    assert NOW + timedelta(minutes=15) <= due < NOW + timedelta(minutes=15, seconds=30)


@pytest.mark.parametrize(
    ("failures", "retry_after", "expected"),
    [
        (1, None, NOW + timedelta(minutes=15)),  # the schedule's slot beats a 5-min back-off
        (5, None, NOW + timedelta(minutes=80)),
        (9, None, NOW + MAX_BACKOFF),
        (1, timedelta(hours=1), NOW + timedelta(hours=1)),  # the CRM asked for longer
    ],
)
def test_given_failure_then_next_due_is_the_latest_of_slot_backoff_and_retry_after(
    failures: int, retry_after: timedelta | None, expected: datetime
) -> None:
    rule = Rule(every=timedelta(minutes=15))
    assert next_due_after_failure(rule, "acme", NOW, failures, retry_after) == expected


def test_rule_of_field_map_schedule_reads_every_cron_and_jitter() -> None:
    class Spec:
        every = None
        cron = "0 * * * *"
        jitter = timedelta(seconds=20)

    assert Rule.of(Spec()) == Rule(cron="0 * * * *", jitter=timedelta(seconds=20))
