"""Exact pulls under stress: faults, expiring tokens, CRM changes, budgets and kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from connector.crm.salesforce.session import ApiBudget
from connector.errors import CrmRateLimited, CrmRejected, CrmTransient
from connector.sandbox import FaultRule
from connector.schedule.leases import hold_lease
from connector.store import TenantStore
from connector.store.leases import db_time
from connector.store.models import Checkpoint, Membership, Prospect, utcnow
from connector.sync.pull import PullOptions, pull
from tests.conftest import REPO
from tests.e2e.conftest import Customer, Sandbox, connect, no_sleep, point_at
from tests.e2e.truth import assert_store_matches_org, folder_reports, report_member_ids


def test_ten_percent_injected_faults_still_converge_to_the_truth(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    fresh_sandbox.org.set_faults(
        [
            FaultRule(endpoint=r"/analytics/reports/", rate=0.1, status=503, seed=3),
            FaultRule(
                endpoint=r"/analytics/reports/", rate=0.05, error_code="UNABLE_TO_LOCK_ROW", seed=4
            ),
            FaultRule(endpoint=r"/query", rate=0.1, status=502, retry_after=1, seed=5),
        ]
    )
    run = pull(small.fm, small.store, small.crm(sleep=no_sleep))

    assert run.status == "succeeded"
    assert sum(rule.fired for rule in fresh_sandbox.org.faults) > 0
    assert_store_matches_org(small.store, fresh_sandbox.org)


class QuietObserver:
    """A pull observer that does nothing; tests override the step they act on."""

    def report_started(self, report, index, count):  # type: ignore[no-untyped-def]
        pass

    def page_saved(self, report, rows_read, total):  # type: ignore[no-untyped-def]
        pass

    def report_finished(self, report, members):  # type: ignore[no-untyped-def]
        pass


def test_a_token_expiring_mid_sync_is_refreshed_transparently(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    class ExpireAfterFirstPage(QuietObserver):
        expired = False

        def page_saved(self, report, rows_read, total):  # type: ignore[no-untyped-def]
            if not self.expired:
                fresh_sandbox.org.expire_all_access_tokens()
                self.expired = True

    observer = ExpireAfterFirstPage()
    run = pull(small.fm, small.store, small.crm(), PullOptions(observer=observer))

    assert observer.expired
    assert run.status == "succeeded"
    assert any(e.status == 401 for e in fresh_sandbox.org.request_log)
    assert_store_matches_org(small.store, fresh_sandbox.org)


def test_a_stop_right_after_a_report_s_last_page_leaves_its_call_list_counted(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    class StopAfterFirstReport(QuietObserver):
        stopped = False

        def page_saved(self, report, rows_read, total):  # type: ignore[no-untyped-def]
            if not self.stopped and rows_read == total:  # that report's last page is saved
                self.stopped = True
                raise CrmTransient("the CRM went away", customer="acme")

    observer = StopAfterFirstReport()
    with pytest.raises(CrmTransient):
        pull(small.fm, small.store, small.crm(), PullOptions(observer=observer))
    assert observer.stopped and small.store.list_runs()[0].status == "stopped"

    resumed = pull(small.fm, small.store, small.crm())  # the read report is not read again

    assert resumed.status == "succeeded"
    assert_store_matches_org(small.store, fresh_sandbox.org)  # its count included


def test_deletions_list_removals_and_retired_reports_propagate(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    pull(small.fm, small.store, small.crm())
    reports = folder_reports(fresh_sandbox.org, "Call_Lists")
    big, other, third = sorted(reports, key=lambda r: -len(r.members))
    deleted = sorted(big.members)[10]
    del fresh_sandbox.org.contacts[deleted]
    left = sorted(other.members)[-1]
    other.members.discard(left)
    private = next(
        f for f in fresh_sandbox.org.folders.values() if f.developer_name == "Private_Reports"
    )
    third.folder_id = private.id

    run = pull(small.fm, small.store, small.crm())

    assert run.memberships_removed >= 2
    assert deleted not in {p.crm_id for p in small.store.prospects()}
    assert left not in small.store.prospect_ids_in(other.id)
    retired = [c for c in small.store.call_lists() if c.report_id == third.id]
    assert retired and not retired[0].active and retired[0].retired_at is not None
    assert small.store.prospect_ids_in(third.id) == []
    assert_store_matches_org(small.store, fresh_sandbox.org)


def test_the_api_budget_stops_a_pull_cleanly_and_the_next_run_resumes(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    fresh_sandbox.org.api_daily_max = 1000
    fresh_sandbox.org.api_usage = 795  # the budget allows 80%: a few calls, then stop
    with pytest.raises(CrmRateLimited) as stopped:
        pull(small.fm, small.store, small.crm(budget=ApiBudget(0.8)))
    assert stopped.value.code == "API_BUDGET_EXCEEDED"
    runs = small.store.list_runs()
    assert runs[0].status == "stopped"
    assert runs[0].error_code == "API_BUDGET_EXCEEDED"

    fresh_sandbox.org.api_usage = 0
    resumed = pull(small.fm, small.store, small.crm())
    assert resumed.run_id == runs[0].run_id
    assert resumed.status == "succeeded"
    assert_store_matches_org(small.store, fresh_sandbox.org)


def test_request_limit_exceeded_stops_the_run_without_hammering(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    fresh_sandbox.org.set_faults(
        [FaultRule(endpoint=r"/analytics/reports/", error_code="REQUEST_LIMIT_EXCEEDED")]
    )
    with pytest.raises(CrmRateLimited):
        pull(small.fm, small.store, small.crm(sleep=no_sleep))
    assert fresh_sandbox.org.faults[0].fired == 1
    assert small.store.list_runs()[0].status == "stopped"


class Killed(BaseException):
    """The process dying: nothing after it runs, not even a `finally` that writes."""


class DiesAfterPages(TenantStore):
    """A store whose process dies right after its `pages`-th page transaction commits."""

    def __init__(self, engine: Engine, customer: str, pages: int) -> None:
        super().__init__(engine, customer)
        self.pages_left = pages
        self.dead = False

    def session(self, fence: int | None = None):  # type: ignore[no-untyped-def]
        if self.dead:
            raise Killed
        return super().session(fence)

    def save_page(self, **kwargs):  # type: ignore[no-untyped-def]
        outcome = super().save_page(**kwargs)
        self.pages_left -= 1
        if self.pages_left == 0:
            self.dead = True
            raise Killed
        return outcome


def test_given_a_crash_right_after_a_page_commits_then_the_resumed_run_counts_every_row(
    small: Customer, fresh_sandbox: Sandbox, sqlite_engine: Engine
) -> None:
    dying = DiesAfterPages(sqlite_engine, "demo", pages=2)
    with pytest.raises(Killed):
        pull(small.fm, dying, small.crm())
    killed = small.store.unfinished_run("pull")
    assert killed is not None and killed.status == "running"

    resumed = pull(small.fm, small.store, small.crm())
    clean = pull(small.fm, small.store, small.crm(), PullOptions(full=True))

    assert resumed.run_id == killed.run_id and resumed.status == "succeeded"
    assert_store_matches_org(small.store, fresh_sandbox.org)
    assert resumed.rows_read == clean.rows_read
    assert resumed.memberships_added == small.store.count(Membership)
    assert resumed.prospects_written + resumed.prospects_unchanged >= small.store.count(Prospect)


@pytest.mark.slow
def test_a_sync_killed_with_sigkill_resumes_without_losing_or_duplicating(
    fresh_sandbox: Sandbox, file_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(fresh_sandbox, monkeypatch)
    engine = file_store
    customer = connect(fresh_sandbox, engine, "demo")
    fresh_sandbox.org.set_faults(
        [FaultRule(endpoint=r"/analytics/reports/00O", status=200, latency_ms=400)]
    )

    env = {**os.environ, "CONNECTOR_LEASE_TTL": "30"}
    child = subprocess.Popen(
        [sys.executable, "-m", "connector", "sync", "demo", "--no-progress"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    store = TenantStore(engine, "demo")
    deadline = time.monotonic() + 600  # a guard only: a loaded machine starts the child slowly
    while time.monotonic() < deadline and store.count(Checkpoint) < 2:
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        time.sleep(0.05)
    assert store.count(Checkpoint) >= 2, "the sync saved no two pages before the guard ran out"
    held = store.current_lease()
    assert held is not None and held.expires_at is not None
    assert db_time(held.expires_at) < utcnow() + timedelta(seconds=60), "CONNECTOR_LEASE_TTL"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    killed_run = store.unfinished_run("pull")
    assert killed_run is not None and killed_run.status == "running", "left unfinished by the kill"
    partial = store.count(Prospect)
    assert partial > 0

    fresh_sandbox.org.clear_faults()
    with hold_lease(store) as lease:  # the killed holder is gone: no wait for its expiry
        assert lease is not None
        run = pull(customer.fm, store, customer.crm(), PullOptions(fence=lease.token))

    assert run.run_id == killed_run.run_id
    assert run.status == "succeeded"
    assert_store_matches_org(customer.store, fresh_sandbox.org)
    assert run.rows_read >= store.count(Membership)


def test_a_full_sync_starts_afresh_and_marks_a_crashed_run_abandoned(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    crashed = small.store.start_run("pull")  # as if killed before it could finish
    run = pull(small.fm, small.store, small.crm(), PullOptions(full=True))

    assert run.run_id != crashed.run_id and run.full and run.status == "succeeded"
    assert small.store.get_run(crashed.run_id).status == "abandoned"  # type: ignore[union-attr]
    assert_store_matches_org(small.store, fresh_sandbox.org)


def test_a_report_with_or_logic_over_the_row_cap_lands_whole_and_stays_still(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    reports = {r.developer_name: r for r in folder_reports(fresh_sandbox.org, "Call_Lists")}
    webinar, big = reports["Webinar_Attendees"], reports["Enterprise_Contacts"]
    webinar.report_boolean_filter = "1 OR 2"
    for contact_id in sorted(big.members)[:2000]:
        webinar.members.add(contact_id)
    assert len(report_member_ids(fresh_sandbox.org, webinar)) > 2000

    first = pull(small.fm, small.store, small.crm())
    second = pull(small.fm, small.store, small.crm())

    assert first.status == second.status == "succeeded"
    assert_store_matches_org(small.store, fresh_sandbox.org)
    assert second.memberships_added == second.memberships_removed == 0


def test_one_failing_report_does_not_hold_back_the_others_or_later_runs(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    reports = {r.developer_name: r for r in folder_reports(fresh_sandbox.org, "Call_Lists")}
    broken, big = reports["Webinar_Attendees"], reports["Enterprise_Contacts"]
    fresh_sandbox.org.set_faults(
        [
            FaultRule(
                endpoint=f"/analytics/reports/{broken.id}$", status=400, error_code="BAD_REQUEST"
            )
        ]
    )
    with pytest.raises(CrmRejected) as failed:
        pull(small.fm, small.store, small.crm(sleep=no_sleep))
    assert "Webinar_Attendees" in str(failed.value)
    assert set(small.store.prospect_ids_in(big.id))  # the other reports were still synced
    assert small.store.list_runs()[0].status == "failed"

    gone = sorted(big.members)[5]
    del fresh_sandbox.org.contacts[gone]
    fresh_sandbox.org.clear_faults()
    run = pull(small.fm, small.store, small.crm())

    assert run.run_id != small.store.list_runs()[1].run_id  # a failed run is not resumed
    assert run.status == "succeeded"
    assert gone not in {p.crm_id for p in small.store.prospects()}
    assert_store_matches_org(small.store, fresh_sandbox.org)


def test_a_paused_customer_is_neither_pulled_nor_pushed(small: Customer) -> None:
    from connector.errors import ConfigError

    small.store.set_customer_status("paused", "erasure due 2026-12-01")
    with pytest.raises(ConfigError, match="paused"):
        small.crm()
