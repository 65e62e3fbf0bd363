"""Pulls stay within their share of the org's hourly report runs (sync, then async, then stop)."""

from __future__ import annotations

import pytest

from connector.errors import CrmRateLimited
from connector.ops.fleet import load_customer
from connector.sync.pull import pull
from tests.e2e.conftest import Customer, Sandbox, no_sleep
from tests.e2e.truth import assert_store_matches_org

HOUR = 3600


def _instance_creations(box: Sandbox) -> int:
    return sum(
        1 for e in box.org.request_log if e.method == "POST" and e.path.endswith("/instances")
    )


def test_a_pull_from_a_fresh_hour_leaves_at_least_half_of_the_sync_runs(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    run = pull(small.fm, small.store, small.crm(sleep=no_sleep))
    assert run.status == "succeeded"
    limits = fresh_sandbox.org.report_limits
    assert limits.remaining_sync() >= limits.hourly_sync_max // 2
    assert _instance_creations(fresh_sandbox) == 0
    stored = small.store.get_run(run.run_id)
    assert stored is not None
    assert (stored.report_runs_remaining, stored.report_runs_max) == (
        limits.remaining_sync(),
        limits.hourly_sync_max,
    )
    status = load_customer(small.store.engine, "demo", budget_share=0.8)
    assert status.report_runs is not None
    assert status.report_runs.used == limits.hourly_sync_max - limits.remaining_sync() > 0


def test_given_the_customers_people_spent_the_sync_hour_then_pages_run_asynchronously(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    fresh_sandbox.org.report_limits.charge_sync(260)  # only 240 left: below the half we leave
    run = pull(small.fm, small.store, small.crm(sleep=no_sleep))
    assert run.status == "succeeded"
    assert fresh_sandbox.org.report_limits.remaining_sync() == 240  # not one sync run used
    assert _instance_creations(fresh_sandbox) >= 3
    assert_store_matches_org(small.store, fresh_sandbox.org)


def test_given_both_allowances_spent_then_the_run_stops_and_resumes_next_hour(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    limits = fresh_sandbox.org.report_limits
    limits.hourly_sync_max, limits.hourly_async_max = 4, 0  # two pages this hour, then stop
    with pytest.raises(CrmRateLimited) as stopped:
        pull(small.fm, small.store, small.crm(sleep=no_sleep))
    assert stopped.value.code == "REPORT_RUN_BUDGET"
    assert "2/4 synchronous" in str(stopped.value)
    [run] = small.store.list_runs()
    assert run.status == "stopped" and run.error_code == "REPORT_RUN_BUDGET"
    assert (run.report_runs_remaining, run.report_runs_max) == (2, 4)
    assert limits.remaining_sync() == 2  # the customer's half of the hour is untouched

    again = pytest.raises(CrmRateLimited)
    with again:  # still the same hour: stops at once, spending no run
        pull(small.fm, small.store, small.crm(sleep=no_sleep))
    assert limits.remaining_sync() == 2

    limits.advance(HOUR)
    limits.hourly_sync_max = 500
    resumed = pull(small.fm, small.store, small.crm(sleep=no_sleep))
    assert resumed.run_id == run.run_id and resumed.status == "succeeded"
    assert_store_matches_org(small.store, fresh_sandbox.org)
