"""Passing trouble at the sandbox's token endpoint while a pull runs: retried, then resumable."""

from __future__ import annotations

import pytest

from connector.crm.base import ReportRef
from connector.errors import CrmTransient
from connector.sandbox import FaultRule
from connector.sync.pull import PullOptions, pull
from tests.e2e.conftest import Customer, Sandbox, no_sleep
from tests.e2e.truth import assert_store_matches_org

TOKEN_ENDPOINT = r"^/services/oauth2/token$"


class ExpireTokensAfterFirstPage:
    """Expires every access token once the first page is saved, and arms `faults` then."""

    def __init__(self, sandbox: Sandbox, faults: list[FaultRule]) -> None:
        self.sandbox = sandbox
        self.faults = faults
        self.expired = False

    def report_started(self, report: ReportRef, index: int, count: int) -> None:
        pass

    def page_saved(self, report: ReportRef, rows_read: int, total: int | None) -> None:
        if not self.expired:
            self.sandbox.org.set_faults(self.faults)
            self.sandbox.org.expire_all_access_tokens()
            self.expired = True

    def report_finished(self, report: ReportRef, members: int) -> None:
        pass


@pytest.mark.parametrize(
    "fault",
    [
        FaultRule(endpoint=TOKEN_ENDPOINT, times=2),
        FaultRule(endpoint=TOKEN_ENDPOINT, times=1, status=429, error_code="REQUEST_LIMIT"),
        FaultRule(endpoint=TOKEN_ENDPOINT, times=2, status=500, error_code="UNKNOWN_ERROR"),
    ],
)
def test_a_token_endpoint_failing_for_a_while_is_retried_and_the_pull_succeeds(
    small: Customer, fresh_sandbox: Sandbox, fault: FaultRule
) -> None:
    observer = ExpireTokensAfterFirstPage(fresh_sandbox, [fault])

    run = pull(small.fm, small.store, small.crm(sleep=no_sleep), PullOptions(observer=observer))

    assert observer.expired and fault.fired == fault.times
    assert run.status == "succeeded"
    assert_store_matches_org(small.store, fresh_sandbox.org)


def test_a_token_endpoint_that_stays_down_stops_the_run_and_the_next_one_resumes(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    down = FaultRule(endpoint=TOKEN_ENDPOINT)
    observer = ExpireTokensAfterFirstPage(fresh_sandbox, [down])

    with pytest.raises(CrmTransient) as stopped:
        pull(small.fm, small.store, small.crm(sleep=no_sleep), PullOptions(observer=observer))

    assert "reconnect" not in str(stopped.value)
    assert down.fired > 1  # retried before giving up
    first = small.store.list_runs()[0]
    assert first.status == "stopped" and first.rows_read > 0
    customer = small.store.get_customer()
    assert customer is not None and customer.status != "reconnect_needed"

    fresh_sandbox.org.clear_faults()
    resumed = pull(small.fm, small.store, small.crm(sleep=no_sleep))

    assert resumed.run_id == first.run_id and resumed.status == "succeeded"
    assert_store_matches_org(small.store, fresh_sandbox.org)
