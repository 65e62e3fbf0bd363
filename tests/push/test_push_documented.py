"""Push bookkeeping edges: calls counted per run, batches emptied meanwhile, stored codes."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from connector.crm.base import UpsertResult
from connector.errors import CrmRateLimited, CrmRejected
from connector.sandbox import FaultRule
from connector.store import TenantStore
from connector.store.activities import MarkOutcome
from connector.sync.push import plan_push, push, record_activities
from tests.push.conftest import Sandbox, a_call, field_map

FM = field_map()
UPSERTS = r"/composite/sobjects/Task/"


@pytest.fixture
def store(sqlite_engine: Engine) -> TenantStore:
    return TenantStore(sqlite_engine, "acme")


def test_given_one_adapter_for_two_pushes_then_each_run_counts_only_its_own_calls(
    box: Sandbox, store: TenantStore
) -> None:
    crm = box.crm()
    who = box.contact_ids(1)[0]
    record_activities(store, [a_call(who, n) for n in range(3)])
    first = push(FM, store, crm)
    record_activities(store, [a_call(who, n) for n in range(3, 5)])
    second = push(FM, store, crm)
    assert (first.activities_pushed, first.api_calls) == (3, 1)
    assert (second.activities_pushed, second.api_calls) == (2, 1)
    assert second.api_used is not None and second.api_limit is not None
    assert 0 < second.api_used <= second.api_limit
    assert f"api-usage={second.api_used}/{second.api_limit}" == box.org.limit_info


def test_given_a_batch_whose_activities_were_pushed_meanwhile_then_no_call_is_made(
    box: Sandbox, store: TenantStore
) -> None:
    who = box.contact_ids(1)[0]
    activities = [a_call(who, n % 60) for n in range(201)]  # two batches: 200 and 1
    record_activities(store, activities)
    last = str(activities[-1].id)
    order = store.pending_activity_ids()
    assert order[-1] == last  # the one left for the second batch

    def push_the_last_elsewhere(outcome: MarkOutcome) -> None:
        rows = store.load_pending([last])
        if rows:  # another worker pushed it between the two batches
            store.mark_push_results(rows, [UpsertResult(last, True, "00T000000000009AAA", True)])

    run = push(FM, store, box.crm(), on_batch=push_the_last_elsewhere)

    assert (run.status, run.activities_pushed, run.api_calls) == ("succeeded", 200, 1)
    assert box.upsert_calls() == 1
    assert store.activity_counts() == {"pushed": 201}


def test_given_a_long_error_code_then_the_run_keeps_its_first_64_characters(
    box: Sandbox, store: TenantStore
) -> None:
    record_activities(store, [a_call(box.contact_ids(1)[0])])
    box.org.set_faults([FaultRule(endpoint=UPSERTS, status=400, error_code="E" * 80)])
    with pytest.raises(CrmRejected):
        push(FM, store, box.crm())
    [run] = store.list_runs(5)
    assert (run.kind, run.status, run.error_code) == ("push", "failed", "E" * 64)
    assert run.finished_at is not None
    assert store.activity_counts() == {"pending": 1}


def test_given_the_daily_allowance_spent_then_the_run_stops_and_the_batch_stays_pending(
    box: Sandbox, store: TenantStore
) -> None:
    record_activities(store, [a_call(box.contact_ids(1)[0])])
    box.org.set_faults(
        [
            FaultRule(
                endpoint=UPSERTS,
                status=403,
                error_code="REQUEST_LIMIT_EXCEEDED",
                message="TotalRequests Limit exceeded.",
            )
        ]
    )
    with pytest.raises(CrmRateLimited):
        push(FM, store, box.crm())
    [run] = store.list_runs(5)
    assert (run.status, run.error_code) == ("stopped", "REQUEST_LIMIT_EXCEEDED")
    assert "TotalRequests Limit exceeded." in (run.error or "")
    assert store.activity_counts() == {"pending": 1}


def test_given_a_limit_then_only_that_many_oldest_activities_are_planned_and_pushed(
    box: Sandbox, store: TenantStore
) -> None:
    who = box.contact_ids(1)[0]
    activities = [a_call(who, n) for n in range(3)]
    for activity in activities:
        record_activities(store, [activity])
    planned = plan_push(FM, store, limit=2)
    assert [r["Connector_Activity_Id__c"] for r in planned] == [str(a.id) for a in activities[:2]]
    run = push(FM, store, box.crm(), limit=2, trigger="schedule")
    assert (run.activities_pushed, run.trigger, run.status) == (2, "schedule", "succeeded")
    assert store.pending_activity_ids() == [str(activities[2].id)]


def test_given_a_forgotten_person_then_their_activities_are_dropped_and_counted(
    store: TenantStore,
) -> None:
    kept, dropped = a_call("003000000000001AAA"), a_call("003000000000002AAA")
    result = record_activities(
        store, [kept, dropped], suppressed=lambda crm_id, _: crm_id == "003000000000002AAA"
    )
    assert (result.created, result.suppressed, result.total) == (1, 1, 2)
    assert store.get_activity(str(dropped.id)) is None
