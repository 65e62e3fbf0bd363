"""End to end against the sandbox org over HTTPS: every activity becomes exactly one Task.

Invariant 5 (idempotent push): retries, crashes and replays never create a duplicate Task.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from connector.crm.base import UpsertResult
from connector.errors import CrmTransient, LeaseLost, StoreError
from connector.sandbox import FaultRule
from connector.store import TenantStore
from connector.store.activities import MarkOutcome
from connector.store.models import Activity, utcnow
from connector.sync.activities import ActivityIn
from connector.sync.push import push, record_activities
from tests.push.conftest import UPSERT_PATH, Sandbox, a_call, an_email, field_map

FM = field_map()


def batch(box: Sandbox, count: int, start: int = 0) -> list[ActivityIn]:
    """`count` calls and emails against contacts that exist in the org."""
    contacts = box.contact_ids(count, start)
    return [
        a_call(who, n) if n % 3 else an_email(who, n) for n, who in enumerate(contacts, start=start)
    ]


def ids(activities: Sequence[ActivityIn]) -> list[str]:
    return [str(a.id) for a in activities]


def assert_one_task_each(box: Sandbox, activities: Sequence[ActivityIn]) -> None:
    counts = box.tasks_by_external_id(ids(activities))
    assert sorted(counts) == sorted(ids(activities)), "an activity has no Task"
    assert set(counts.values()) == {1}, "an activity has more than one Task"


def outcomes_of(store: TenantStore, box: Sandbox, **kwargs: Any) -> list[MarkOutcome]:
    seen: list[MarkOutcome] = []
    push(FM, store, box.crm(), on_batch=seen.append, **kwargs)
    return seen


def test_given_a_batch_pushed_twice_then_each_activity_has_exactly_one_task(
    box: Sandbox, engine: Engine
) -> None:
    store = TenantStore(engine, "acme")
    activities = batch(box, 30)
    record_activities(store, activities)

    first = push(FM, store, box.crm())
    second = push(FM, store, box.crm())

    assert (first.activities_pushed, first.api_calls) == (30, 1)
    assert (second.activities_pushed, second.api_calls) == (0, 0)
    assert_one_task_each(box, activities)
    row = store.get_activity(str(activities[1].id))
    assert row is not None and row.crm_task_id == box.task(str(activities[1].id))["Id"]

    # a changed activity is re-queued and updates its Task, creating nothing
    changed = activities[1].model_copy(update={"outcome": "Left voicemail"})
    assert record_activities(store, [changed]).requeued == 1
    [outcome] = outcomes_of(store, box)
    assert (outcome.pushed, outcome.created) == (1, 0)
    assert box.task(str(changed.id))["Subject"] == "Call: Left voicemail"
    assert_one_task_each(box, activities)


def test_given_a_crash_between_the_crm_call_and_marking_then_the_next_push_creates_nothing(
    box: Sandbox, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TenantStore(engine, "acme")
    activities = batch(box, 250)
    record_activities(store, activities)
    real_mark = store.mark_push_results
    crashes = iter([True])

    def crash_once(
        sent: Sequence[Activity], results: Sequence[UpsertResult], fence: int | None = None
    ) -> MarkOutcome:
        if next(crashes, False):
            raise StoreError("simulated crash after the CRM call, before marking the outbox")
        return real_mark(sent, results, fence)

    monkeypatch.setattr(store, "mark_push_results", crash_once)

    with pytest.raises(StoreError):
        push(FM, store, box.crm())
    assert store.activity_counts() == {"pending": 250}
    assert len(box.tasks_by_external_id(ids(activities))) == 200  # the first batch got through

    outcomes = outcomes_of(store, box)

    assert [o.pushed for o in outcomes] == [200, 50]
    assert [o.created for o in outcomes] == [0, 50]  # the first 200 were updated, not created
    assert store.activity_counts() == {"pushed": 250}
    assert_one_task_each(box, activities)


def _take_over(store: TenantStore) -> int:
    """Another worker takes the lease, as it may once the holder stalled past its expiry."""
    later = utcnow() + timedelta(minutes=5)
    token = store.acquire_lease("worker-b", timedelta(seconds=30), now=later)
    assert token is not None
    return token


def test_given_the_lease_taken_over_between_the_crm_call_and_the_mark_then_nothing_is_marked(
    box: Sandbox, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TenantStore(engine, "acme")
    activities = batch(box, 5, start=900)
    record_activities(store, activities)
    token = store.acquire_lease("worker-a", timedelta(seconds=30))
    assert token is not None
    crm = box.crm()
    send = crm.upsert_activities

    def sent_then_taken_over(*args: Any) -> list[UpsertResult]:
        results = send(*args)
        _take_over(store)
        return results

    monkeypatch.setattr(crm, "upsert_activities", sent_then_taken_over)

    with pytest.raises(LeaseLost):
        push(FM, store, crm, fence=token)

    assert store.activity_counts() == {"pending": 5}, "a stale push marked the outbox"
    assert_one_task_each(box, activities)
    [stale] = [run for run in store.list_runs() if run.kind == "push"]
    assert (stale.status, stale.error_code, stale.activities_pushed) == ("failed", "LeaseLost", 0)
    lease = store.current_lease()
    assert lease is not None and lease.holder == "worker-b"
    [outcome] = outcomes_of(store, box, fence=lease.token)  # the new holder updates the Tasks
    assert (outcome.pushed, outcome.created) == (5, 0)
    assert store.activity_counts() == {"pushed": 5}
    assert_one_task_each(box, activities)


def test_given_the_lease_lost_after_the_last_mark_then_the_run_is_booked_failed_not_running(
    box: Sandbox, engine: Engine
) -> None:
    store = TenantStore(engine, "acme")
    activities = batch(box, 3, start=940)
    record_activities(store, activities)
    token = store.acquire_lease("worker-a", timedelta(seconds=30))
    assert token is not None

    with pytest.raises(LeaseLost):
        push(FM, store, box.crm(), fence=token, on_batch=lambda _outcome: _take_over(store))

    assert store.activity_counts() == {"pushed": 3}  # marked while the lease still held
    [run] = [run for run in store.list_runs() if run.kind == "push"]
    assert (run.status, run.error_code, run.activities_pushed) == ("failed", "LeaseLost", 3)
    assert run.error is not None and "another worker took over" in run.error  # says why


def test_given_a_lease_already_taken_over_then_the_push_sends_nothing(
    box: Sandbox, engine: Engine
) -> None:
    store = TenantStore(engine, "acme")
    activities = batch(box, 3, start=920)
    record_activities(store, activities)
    token = store.acquire_lease("worker-a", timedelta(seconds=30))
    assert token is not None
    _take_over(store)

    with pytest.raises(LeaseLost):
        push(FM, store, box.crm(), fence=token)

    assert box.upsert_calls() == 0
    assert store.activity_counts() == {"pending": 3}


def test_given_503s_and_row_locks_when_pushed_repeatedly_then_every_activity_lands_once(
    box: Sandbox, sqlite_engine: Engine
) -> None:
    store = TenantStore(sqlite_engine, "acme")
    activities = batch(box, 600, start=100)
    record_activities(store, activities)
    box.org.set_faults(
        [
            FaultRule(endpoint=UPSERT_PATH, rate=0.3, status=503, seed=11),
            FaultRule(endpoint=UPSERT_PATH, rate=0.2, error_code="UNABLE_TO_LOCK_ROW",
                      per_record=True, seed=12),
        ]
    )  # fmt: skip
    failed_runs = 0
    for _ in range(40):
        if not store.pending_activity_ids():
            break
        try:
            # no session retries: every 503 ends the run, so the outbox alone must cope
            push(FM, store, box.crm(max_attempts=1))
        except CrmTransient:
            failed_runs += 1

    assert store.activity_counts() == {"pushed": 600}
    assert_one_task_each(box, activities)
    fired = {rule.error_code: rule.fired for rule in box.org.faults}
    assert fired["SERVER_UNAVAILABLE"] > 0 and fired["UNABLE_TO_LOCK_ROW"] > 0
    assert failed_runs > 0, "no run saw a whole-call failure; the test lost its point"
    statuses = {run.status for run in store.list_runs(100)}
    assert statuses == {"succeeded", "failed"}


def test_given_1000_activities_then_they_take_5_upsert_calls(
    box: Sandbox, sqlite_engine: Engine
) -> None:
    store = TenantStore(sqlite_engine, "acme")
    activities = batch(box, 1000)
    record_activities(store, activities)

    run = push(FM, store, box.crm())

    assert run.activities_pushed == 1000
    assert box.upsert_calls() == 5
    assert run.api_calls == 5
    assert len(box.org.request_log) <= 5 + 1  # nothing else but, at most, one token call
    assert_one_task_each(box, activities)


def test_given_a_missing_who_and_a_long_subject_then_only_the_missing_who_is_parked(
    box: Sandbox, sqlite_engine: Engine
) -> None:
    store = TenantStore(sqlite_engine, "acme")
    [good] = batch(box, 1, start=900)
    orphan = a_call(box.missing_contact_id())
    long_subject = an_email(box.contact_ids(1, 901)[0], subject="s" * 255)
    record_activities(store, [good, orphan, long_subject])

    run = push(FM, store, box.crm())

    assert (run.activities_pushed, run.activities_failed) == (2, 1)
    assert len(box.task(str(long_subject.id))["Subject"]) == 255
    [parked] = store.failed_activities()
    assert parked.activity_id == str(orphan.id)
    assert parked.error_code == "INVALID_CROSS_REFERENCE_KEY"
    assert parked.error_message == "invalid cross reference id"  # the CRM's own words
    assert box.tasks_by_external_id([str(orphan.id)]) == {}


def test_given_imports_racing_pushes_then_every_task_ends_with_the_latest_content(
    box: Sandbox, engine: Engine
) -> None:
    calls = [a_call(who, n, outcome="round 0") for n, who in enumerate(box.contact_ids(40, 700))]
    record_activities(TenantStore(engine, "acme"), calls)
    rounds = 25
    start = threading.Barrier(2)
    imported = threading.Event()
    errors: list[BaseException] = []

    def import_rounds() -> None:
        store = TenantStore(engine, "acme")
        try:
            start.wait()
            for n in range(1, rounds + 1):
                changed = [c.model_copy(update={"outcome": f"round {n}"}) for c in calls]
                record_activities(store, changed)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            imported.set()

    def push_until_imported() -> None:
        store = TenantStore(engine, "acme")
        try:
            start.wait()
            while not imported.is_set():
                push(FM, store, box.crm())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=import_rounds), threading.Thread(target=push_until_imported)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    store = TenantStore(engine, "acme")
    push(FM, store, box.crm())  # what the race left pending goes now

    assert store.pending_activity_ids() == []
    assert_one_task_each(box, calls)
    stale = {
        str(c.id): box.task(str(c.id)).get("CallDisposition")
        for c in calls
        if box.task(str(c.id)).get("CallDisposition") != f"round {rounds}"
    }
    assert stale == {}, "a Task kept content that was changed after it was sent"
