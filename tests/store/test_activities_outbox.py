"""The activity outbox in the store: parking after 10 transient failures, requeueing, listing.

The documented values are written out here (10 attempts, a 64-character error code) rather
than read from the module, so changing one of them fails a test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from connector.crm.base import UpsertResult
from connector.errors import LeaseLost, StoreError
from connector.store import TenantStore
from connector.store.activities import RecordResult

WHO = "003000000000001AAA"
TASK = "00T000000000001AAA"
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def store(sqlite_engine: Engine) -> TenantStore:
    return TenantStore(sqlite_engine, "acme")


def activity(n: int = 0, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "activity_id": str(uuid.uuid4()),
        "kind": "call",
        "prospect_crm_id": WHO,
        "occurred_at": START + timedelta(minutes=n),
        "direction": "outbound",
        "duration_seconds": 60 + n,
        "outcome": "Connected",
        "subject": None,
    }
    values.update(overrides)
    return values


def busy(activity_id: str) -> UpsertResult:
    return UpsertResult(activity_id, False, None, None, "UNABLE_TO_LOCK_ROW", "busy", True)


def refused(activity_id: str, code: str | None = "INVALID_CROSS_REFERENCE_KEY") -> UpsertResult:
    return UpsertResult(activity_id, False, None, None, code, "bad id")


def mark(store: TenantStore, activity_id: str, result: UpsertResult) -> None:
    store.mark_push_results(store.load_pending([activity_id]), [result])


def test_given_transient_failures_then_the_tenth_parks_the_activity(store: TenantStore) -> None:
    item = activity()
    store.record_activities([item])
    for attempt in range(1, 10):
        mark(store, item["activity_id"], busy(item["activity_id"]))
        row = store.get_activity(item["activity_id"])
        assert row is not None
        assert (row.push_status, row.attempts) == ("pending", attempt)
    mark(store, item["activity_id"], busy(item["activity_id"]))
    row = store.get_activity(item["activity_id"])
    assert row is not None
    assert (row.push_status, row.attempts, row.error_code) == ("failed", 10, "UNABLE_TO_LOCK_ROW")


def test_given_a_parked_activity_when_requeued_then_attempts_and_errors_are_reset(
    store: TenantStore,
) -> None:
    item = activity()
    store.record_activities([item])
    for _ in range(10):
        mark(store, item["activity_id"], busy(item["activity_id"]))
    assert store.requeue_failed() == 1
    row = store.get_activity(item["activity_id"])
    assert row is not None
    assert (row.push_status, row.attempts, row.error_code, row.error_message) == (
        "pending",
        0,
        None,
        None,
    )
    # a fresh budget of ten attempts: one more transient failure does not park it
    mark(store, item["activity_id"], busy(item["activity_id"]))
    row = store.get_activity(item["activity_id"])
    assert row is not None
    assert (row.push_status, row.attempts) == ("pending", 1)


def test_given_named_activities_then_only_those_are_requeued(store: TenantStore) -> None:
    items = [activity(n) for n in range(3)]
    store.record_activities(items)
    for item in items:
        mark(store, item["activity_id"], refused(item["activity_id"]))
    named = [items[0]["activity_id"], items[2]["activity_id"], "no-such-activity"]
    assert store.requeue_failed(named) == 2
    assert store.requeue_failed([]) == 0
    assert [a.activity_id for a in store.failed_activities()] == [items[1]["activity_id"]]
    assert store.activity_counts() == {"pending": 2, "failed": 1}


def test_given_parked_activities_then_they_are_listed_oldest_first_up_to_the_limit(
    store: TenantStore,
) -> None:
    ids = []
    for n in range(4):
        item = activity(n)
        store.record_activities([item])  # one by one: created_at grows
        ids.append(item["activity_id"])
    for activity_id in ids[:3]:
        mark(store, activity_id, refused(activity_id))
    assert [a.activity_id for a in store.failed_activities()] == ids[:3]
    assert [a.activity_id for a in store.failed_activities(limit=2)] == ids[:2]
    assert [a.activity_id for a in store.failed_activities(limit=1)] == ids[:1]
    assert store.pending_activity_ids() == ids[3:]


def test_given_pending_activities_then_ids_come_oldest_first_up_to_the_limit(
    store: TenantStore,
) -> None:
    ids = []
    for n in range(3):
        item = activity(n)
        store.record_activities([item])
        ids.append(item["activity_id"])
    mark(store, ids[1], UpsertResult(ids[1], True, TASK, True))
    assert store.pending_activity_ids() == [ids[0], ids[2]]
    assert store.pending_activity_ids(limit=1) == [ids[0]]


def test_given_ids_then_load_pending_keeps_their_order_and_only_pending_ones(
    store: TenantStore,
) -> None:
    items = [activity(n) for n in range(3)]
    store.record_activities(items)
    a, b, c = (item["activity_id"] for item in items)
    mark(store, b, UpsertResult(b, True, TASK, True))
    assert [row.activity_id for row in store.load_pending([c, "unknown", b, a])] == [c, a]


def test_given_a_failure_then_code_is_cut_to_64_characters_and_defaults_are_stored(
    store: TenantStore,
) -> None:
    long_code, no_code = activity(1), activity(2)
    store.record_activities([long_code, no_code])
    mark(store, long_code["activity_id"], refused(long_code["activity_id"], "E" * 80))
    mark(
        store,
        no_code["activity_id"],
        UpsertResult(no_code["activity_id"], False, None, None, None, None),
    )
    first = store.get_activity(long_code["activity_id"])
    second = store.get_activity(no_code["activity_id"])
    assert first is not None and second is not None
    assert first.error_code == "E" * 64
    assert (first.error_message, first.push_status) == ("bad id", "failed")
    assert (second.error_code, second.error_message) == ("UNKNOWN_ERROR", "the CRM gave no message")


def test_given_a_success_after_a_failure_then_the_error_is_cleared(store: TenantStore) -> None:
    item = activity()
    store.record_activities([item])
    mark(store, item["activity_id"], busy(item["activity_id"]))
    before = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    outcome = store.mark_push_results(
        store.load_pending([item["activity_id"]]),
        [UpsertResult(item["activity_id"], True, TASK, False)],
    )
    assert (outcome.pushed, outcome.created, outcome.retry, outcome.failed) == (1, 0, 0, 0)
    row = store.get_activity(item["activity_id"])
    assert row is not None
    assert (row.push_status, row.crm_task_id, row.attempts) == ("pushed", TASK, 2)
    assert (row.error_code, row.error_message) == (None, None)
    assert row.pushed_at is not None and row.pushed_at.replace(tzinfo=None) >= before


def test_given_a_success_without_a_task_id_then_the_known_task_id_is_kept(
    store: TenantStore,
) -> None:
    item = activity()
    store.record_activities([item])
    mark(store, item["activity_id"], UpsertResult(item["activity_id"], True, TASK, True))
    store.record_activities([{**item, "outcome": "No answer"}])  # requeued
    mark(store, item["activity_id"], UpsertResult(item["activity_id"], True, None, False))
    row = store.get_activity(item["activity_id"])
    assert row is not None
    assert (row.push_status, row.crm_task_id) == ("pushed", TASK)


def test_given_no_result_for_a_sent_activity_then_it_is_skipped_and_stays_pending(
    store: TenantStore,
) -> None:
    items = [activity(1), activity(2)]
    store.record_activities(items)
    a, b = (item["activity_id"] for item in items)
    outcome = store.mark_push_results(store.load_pending([a, b]), [busy(a)])
    assert (outcome.retry, outcome.skipped) == (1, 1)
    row = store.get_activity(b)
    assert row is not None and (row.push_status, row.attempts) == ("pending", 0)


def test_given_a_parked_activity_that_changes_then_it_is_requeued_with_a_fresh_budget(
    store: TenantStore,
) -> None:
    item = activity()
    store.record_activities([item])
    mark(store, item["activity_id"], refused(item["activity_id"]))
    result = store.record_activities([{**item, "outcome": "Voicemail"}])
    assert result == RecordResult(requeued=1)
    row = store.get_activity(item["activity_id"])
    assert row is not None
    assert (row.push_status, row.attempts, row.error_code, row.error_message, row.outcome) == (
        "pending",
        0,
        None,
        None,
        "Voicemail",
    )


def test_given_a_mixed_batch_then_the_total_counts_every_activity(store: TenantStore) -> None:
    same, changed, new = activity(1), activity(2), activity(3)
    store.record_activities([same, changed])
    result = store.record_activities([same, {**changed, "outcome": "Busy"}, new, new])
    assert result == RecordResult(created=1, updated=1, unchanged=1)
    assert result.total == 3
    assert RecordResult(1, 2, 3, 4, 5).total == 15


def test_given_more_activities_than_one_query_chunk_then_all_are_recognised(
    store: TenantStore,
) -> None:
    items = [activity(n % 50) for n in range(1201)]
    assert store.record_activities(items).created == 1201
    assert store.record_activities(items) == RecordResult(unchanged=1201)
    assert len(store.load_pending([i["activity_id"] for i in items])) == 1201


def test_given_several_results_of_each_kind_then_each_is_counted(store: TenantStore) -> None:
    items = [activity(n) for n in range(8)]
    store.record_activities(items)
    ids = [item["activity_id"] for item in items]
    sent = store.load_pending(ids)
    results = [
        UpsertResult(ids[2], True, TASK, True),
        UpsertResult(ids[3], True, TASK, True),
        UpsertResult(ids[4], True, TASK, False),
        busy(ids[5]),
        busy(ids[6]),
        refused(ids[7]),
    ]  # ids[0] and ids[1] get no result: skipped, and they come first
    outcome = store.mark_push_results(sent, results)
    assert (outcome.skipped, outcome.pushed, outcome.created) == (2, 3, 2)
    assert (outcome.retry, outcome.failed) == (2, 1)


def test_given_several_changes_then_each_counter_counts_them_all(store: TenantStore) -> None:
    items = [activity(n) for n in range(4)]
    store.record_activities(items)
    for item in items[2:]:
        mark(store, item["activity_id"], refused(item["activity_id"]))
    result = store.record_activities([{**item, "outcome": "Busy"} for item in items])
    assert result == RecordResult(updated=2, requeued=2)


def test_given_ids_in_another_order_than_creation_then_oldest_comes_first(
    store: TenantStore,
) -> None:
    ids = ["c" * 8, "b" * 8, "a" * 8]
    for n, activity_id in enumerate(ids):
        store.record_activities([activity(n, activity_id=activity_id)])
    assert store.pending_activity_ids() == ids
    for activity_id in ids:
        mark(store, activity_id, refused(activity_id))
    assert [a.activity_id for a in store.failed_activities()] == ids


def test_given_a_new_activity_before_a_changed_one_then_both_are_recorded(
    store: TenantStore,
) -> None:
    known, new = activity(1), activity(2)
    store.record_activities([known])
    result = store.record_activities([new, {**known, "outcome": "Busy"}])
    assert result == RecordResult(created=1, updated=1)
    row = store.get_activity(known["activity_id"])
    assert row is not None and (row.outcome, row.version) == ("Busy", 2)


def test_given_the_lease_moved_on_then_marking_results_is_refused_and_marks_nothing(
    store: TenantStore,
) -> None:
    item = activity()
    store.record_activities([item])
    token = store.acquire_lease("worker-a", timedelta(minutes=5))
    assert token is not None
    assert store.acquire_lease("worker-b", timedelta(minutes=5), replacing="worker-a") == token + 1
    sent = store.load_pending([item["activity_id"]])
    with pytest.raises(LeaseLost):
        store.mark_push_results(sent, [UpsertResult(item["activity_id"], True, TASK, True)], token)
    row = store.get_activity(item["activity_id"])
    assert row is not None and (row.push_status, row.attempts, row.crm_task_id) == (
        "pending",
        0,
        None,
    )


def after_each_read(
    monkeypatch: pytest.MonkeyPatch, store: TenantStore, action: Callable[[int], None]
) -> None:
    """Run `action(n)` (n: reads so far) right after each of `store`'s activity reads, while
    the reading transaction is still open: another transaction commits between its read and
    its write (PostgreSQL's read committed lets it)."""
    read, reads = store._load, [0]

    def read_then_act(session: Any, activity_ids: Any) -> Any:
        rows = read(session, activity_ids)
        reads[0] += 1
        action(reads[0])
        return rows

    monkeypatch.setattr(store, "_load", read_then_act)


@pytest.mark.postgres
def test_given_a_push_marks_the_row_while_it_is_recorded_then_the_change_is_requeued(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, pusher = TenantStore(postgres_engine, "acme"), TenantStore(postgres_engine, "acme")
    item = activity()
    store.record_activities([item])

    def push_once(n: int) -> None:
        if n == 1:  # another worker's push commits between this read and the write
            sent = pusher.load_pending([item["activity_id"]])
            pusher.mark_push_results(sent, [UpsertResult(item["activity_id"], True, TASK, True)])

    after_each_read(monkeypatch, store, push_once)
    result = store.record_activities([{**item, "outcome": "Voicemail"}])
    # the pushed Task holds the old content: the new one must go out again, with a new budget
    assert result == RecordResult(requeued=1)
    row = store.get_activity(item["activity_id"])
    assert row is not None
    assert (row.push_status, row.attempts, row.outcome, row.crm_task_id) == (
        "pending",
        0,
        "Voicemail",
        TASK,
    )


@pytest.mark.postgres
def test_given_rows_that_keep_changing_then_recording_reads_20_times_gives_up_and_stores_nothing(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, other = TenantStore(postgres_engine, "acme"), TenantStore(postgres_engine, "acme")
    item = activity()
    store.record_activities([item])
    reads: list[int] = []

    def change(n: int) -> None:
        reads.append(n)  # another import commits a newer version between every read and write
        other.record_activities([{**item, "duration_seconds": 1000 + n}])

    after_each_read(monkeypatch, store, change)
    with pytest.raises(StoreError) as caught:
        store.record_activities([{**item, "duration_seconds": 5}])
    assert len(reads) == 20
    assert caught.value.customer == "acme"
    assert str(caught.value) == (
        "customer 'acme': activities kept changing while they were recorded; "
        "nothing was stored, try again"
    )
    row = store.get_activity(item["activity_id"])
    assert row is not None and row.duration_seconds == 1020


@pytest.mark.postgres
def test_given_a_row_changed_between_marks_read_and_write_then_it_is_skipped_and_the_rest_marked(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, other = TenantStore(postgres_engine, "acme"), TenantStore(postgres_engine, "acme")
    unanswered, changed, kept = activity(1), activity(2), activity(3)
    store.record_activities([unanswered, changed, kept])
    order = [a["activity_id"] for a in (unanswered, changed, kept)]
    sent = sorted(store.load_pending(order), key=lambda a: order.index(a.activity_id))

    def change(n: int) -> None:  # an import commits new content for one row after the read
        other.record_activities([{**changed, "duration_seconds": 999}])

    after_each_read(monkeypatch, store, change)
    results = [UpsertResult(a["activity_id"], True, TASK, True) for a in (changed, kept)]
    outcome = store.mark_push_results(sent, results)
    # one row without a result and one changed under the write: both skipped; the third marked
    assert (outcome.pushed, outcome.skipped) == (1, 2)
    statuses = [store.get_activity(a["activity_id"]) for a in (changed, kept)]
    assert [row.push_status if row else None for row in statuses] == ["pending", "pushed"]
