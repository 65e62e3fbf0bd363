"""The pure rules of a customer's status: state words, trouble order, API shares, time words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.ops.render import ago, percent, span
from connector.ops.status import ApiUsage, CustomerStatus, RunSummary, derive_state, sort_by_trouble

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stored", "failures", "erasing", "expected"),
    [
        ("active", 0, False, "active"),
        (None, 0, False, "active"),
        ("active", 2, False, "active"),
        ("active", 3, False, "failing"),
        ("active", 9, False, "failing"),
        ("paused", 0, False, "paused"),
        ("paused", 5, False, "paused"),
        ("reconnect_needed", 0, False, "reconnect_needed"),
        ("reconnect_needed", 7, False, "reconnect_needed"),
        ("paused", 0, True, "erasing"),
        ("active", 4, True, "erasing"),
    ],
)
def test_given_the_stored_status_and_history_then_the_state_is(
    stored: str | None, failures: int, erasing: bool, expected: str
) -> None:
    assert derive_state(stored, consecutive_failures=failures, erasure_pending=erasing) == expected


def status(customer: str, state: str, failures: int = 0) -> CustomerStatus:
    return CustomerStatus(
        customer_id=customer,
        state=state,  # type: ignore[arg-type]
        reason=None,
        paused_by=None,
        paused_at=None,
        connected=True,
        next_due_at=None,
        consecutive_failures=failures,
        last_run=None,
        last_pull=None,
        api=ApiUsage(used=None, limit=None, budget_share=0.8),
        pending_activities=0,
        parked_activities=0,
        pending_resyncs=0,
    )


def test_trouble_comes_first_then_most_failures_then_the_name() -> None:
    fleet = [
        status("zeta", "active"),
        status("acme", "active"),
        status("beta", "failing", failures=3),
        status("gamma", "failing", failures=8),
        status("delta", "paused"),
        status("omega", "reconnect_needed"),
        status("kappa", "erasing"),
    ]
    ordered = [s.customer_id for s in sort_by_trouble(fleet)]
    assert ordered == ["kappa", "omega", "gamma", "beta", "delta", "acme", "zeta"]


def test_api_usage_is_a_share_of_the_org_day_and_of_the_read_budget() -> None:
    usage = ApiUsage(used=4_000, limit=10_000, budget_share=0.8)
    assert usage.share_of_limit == pytest.approx(0.4)
    assert usage.share_of_budget == pytest.approx(0.5)


@pytest.mark.parametrize(
    "usage",
    [
        ApiUsage(used=None, limit=10_000, budget_share=0.8),
        ApiUsage(used=10, limit=None, budget_share=0.8),
        ApiUsage(used=10, limit=0, budget_share=0.8),
    ],
)
def test_unknown_api_usage_has_no_share(usage: ApiUsage) -> None:
    assert usage.share_of_limit is None and usage.share_of_budget is None


def test_a_run_knows_its_duration_and_a_running_one_has_none() -> None:
    run = RunSummary(
        run_id="r1",
        kind="pull",
        trigger="schedule",
        status="succeeded",
        started_at=NOW,
        finished_at=NOW + timedelta(seconds=90),
        rows_read=10,
        prospects_written=5,
        rejected=1,
        activities_pushed=0,
        activities_failed=0,
        api_calls=4,
        error_code=None,
    )
    assert run.duration_seconds == 90
    assert RunSummary(**{**run.__dict__, "finished_at": None}).duration_seconds is None


def test_the_json_form_has_stable_keys_and_no_person_fields() -> None:
    data = status("acme", "paused").to_json(detail=True)
    assert set(data) == {
        "customer",
        "state",
        "reason",
        "paused_by",
        "paused_at",
        "connected",
        "next_due_at",
        "consecutive_failures",
        "last_run",
        "rejected_last_run",
        "api",
        "report_runs",
        "activities",
        "pending_resyncs",
        "column_check",
        "erasure_due_at",
        "recent_runs",
    }
    assert "recent_runs" not in status("acme", "paused").to_json()


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (None, "-"),
        (NOW - timedelta(seconds=42), "42s ago"),
        (NOW - timedelta(minutes=5, seconds=10), "5m ago"),
        (NOW + timedelta(hours=3, minutes=59), "in 3h"),
        (NOW - timedelta(days=2, hours=1), "2d ago"),
    ],
)
def test_times_read_relative_to_now(when: datetime | None, expected: str) -> None:
    assert ago(when, NOW) == expected


def test_spans_and_percentages_read_as_words() -> None:
    assert [span(s) for s in (0, 59, 60, 3_599, 3_600, 86_400)] == [
        "0s",
        "59s",
        "1m",
        "59m",
        "1h",
        "1d",
    ]
    assert (percent(None), percent(0.0), percent(0.456)) == ("-", "0%", "46%")


def test_status_renders_the_report_run_budget_in_80_columns() -> None:
    import io
    from dataclasses import replace

    from rich.console import Console

    from connector.cli.status_cmds import customer_detail, fleet_table
    from connector.ops.status import ReportRunUsage

    runs = ReportRunUsage(remaining=380, limit=500, seen_at=NOW - timedelta(minutes=5))
    one = replace(status("acme", "active"), report_runs=runs)
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    console.print(fleet_table([one, status("bravo", "active")], NOW))
    console.print(customer_detail(one, NOW))
    text = out.getvalue()
    assert "rep/h" in text and "24%" in text
    assert "120 of 500 used, 380 left" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert (runs.used, runs.share_used) == (120, 0.24)
    assert ReportRunUsage(remaining=0, limit=0, seen_at=NOW).share_used is None
