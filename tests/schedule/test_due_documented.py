"""The documented back-off, stated as values: 5 minutes, doubling, never more than 6 hours.

These tests write the documented numbers out rather than reading the module's constants, so
a changed constant is a failing test, not a silently changed promise.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from connector.schedule.due import (
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
SIX_HOURS = timedelta(hours=6)


@pytest.mark.parametrize(
    ("failures", "expected"),
    [
        (-3, timedelta(0)),
        (0, timedelta(0)),
        (1, timedelta(minutes=5)),
        (4, timedelta(minutes=40)),
        (5, timedelta(minutes=80)),
        (7, timedelta(minutes=320)),  # 5 h 20 min: the last step under the cap
        (8, SIX_HOURS),  # 640 min would be more: capped at 6 h
        (33, SIX_HOURS),
        (34, SIX_HOURS),
        (10**9, SIX_HOURS),  # no overflow, however long the org has been failing
    ],
)
def test_given_failures_then_the_backoff_is_five_minutes_doubling_capped_at_six_hours(
    failures: int, expected: timedelta
) -> None:
    assert backoff(failures) == expected


def test_given_a_smaller_cap_or_base_then_backoff_uses_them() -> None:
    assert backoff(3, base=timedelta(seconds=1), cap=timedelta(seconds=3)) == timedelta(seconds=3)
    assert backoff(2, base=timedelta(seconds=1)) == timedelta(seconds=2)


@pytest.mark.parametrize(
    ("failures", "retry_after", "expected"),
    [
        (8, None, NOW + SIX_HOURS),
        (40, None, NOW + SIX_HOURS),
        (8, timedelta(hours=7), NOW + timedelta(hours=7)),  # the CRM's longer wait wins
        (6, timedelta(minutes=1), NOW + timedelta(minutes=160)),  # a shorter one does not
    ],
)
def test_given_a_failing_customer_then_it_waits_at_most_six_hours_unless_the_crm_asks_longer(
    failures: int, retry_after: timedelta | None, expected: datetime
) -> None:
    rule = Rule(every=timedelta(minutes=15))
    assert next_due_after_failure(rule, "acme", NOW, failures, retry_after) == expected


def test_given_a_start_in_another_zone_then_cron_slots_are_matched_in_utc() -> None:
    berlin = NOW.astimezone(timezone(timedelta(hours=2)))  # 14:00 local, 12:00 UTC
    assert next_slot(Rule(cron="0 13 * * *"), berlin) == datetime(2024, 5, 6, 13, 0, tzinfo=UTC)
    assert next_slot(Rule(cron="0 13 * * *"), berlin).utcoffset() == timedelta(0)


def test_given_a_negative_jitter_then_there_is_no_offset() -> None:
    assert jitter_offset("acme", NOW, timedelta(seconds=-30)) == timedelta(0)


def test_given_a_one_second_jitter_then_every_offset_is_zero_whole_seconds() -> None:
    offsets = {jitter_offset(f"c{i}", NOW, timedelta(seconds=1)) for i in range(50)}
    assert offsets == {timedelta(0)}


def test_given_a_schedule_without_jitter_then_the_rule_has_none() -> None:
    class Spec:
        every = timedelta(minutes=30)
        cron = None
        jitter = None

    assert Rule.of(Spec()) == Rule(every=timedelta(minutes=30), jitter=timedelta(0))
    assert Rule.of(object()) == Rule()


@pytest.mark.parametrize("status", ["paused", "reconnect_needed", "erased", ""])
def test_given_a_customer_that_is_not_active_then_nothing_is_due(status: str) -> None:
    customer = CustomerSchedule("acme", status=status, pending_resyncs=3)
    assert due_reason(customer, NOW) is None


def test_given_a_failing_customer_whose_backoff_is_over_then_its_resync_runs() -> None:
    customer = CustomerSchedule("acme", next_due_at=NOW, consecutive_failures=1, pending_resyncs=1)
    assert due_reason(customer, NOW) == "resync"


def test_given_a_local_zone_other_than_utc_then_cron_still_matches_in_utc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert next_slot(Rule(cron="0 13 * * *"), NOW) == datetime(2024, 5, 6, 13, 0, tzinfo=UTC)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_given_neither_every_nor_cron_then_the_error_says_what_is_needed() -> None:
    with pytest.raises(ValueError) as caught:
        next_slot(Rule(), NOW)
    assert str(caught.value) == "a schedule needs `every` or `cron`"


def test_given_jitter_then_customers_are_spread_after_success_and_after_failure() -> None:
    rule = Rule(every=timedelta(minutes=15), jitter=timedelta(minutes=5))
    after_success = {next_due(rule, f"customer-{i}", NOW) for i in range(20)}
    after_failure = {next_due_after_failure(rule, f"customer-{i}", NOW, 1) for i in range(20)}
    assert len(after_success) > 10 and after_success == after_failure


@pytest.mark.parametrize(
    "settings",
    [object(), SimpleNamespace(resync_min_gap_minutes=None, resync_daily_cap=None)],
)
def test_given_settings_without_resync_values_then_the_documented_defaults_apply(
    settings: object,
) -> None:
    assert ResyncPolicy.of(settings) == ResyncPolicy(timedelta(minutes=15), 24)
