"""Recording activities: what is accepted, what is refused, and how re-recording behaves."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from connector.cli.activities_cmds import parse_lines
from connector.crm.base import UpsertResult
from connector.store import TenantStore
from connector.store.activities import MAX_TRANSIENT_ATTEMPTS
from connector.sync.activities import ActivityIn, describe_errors
from connector.sync.push import record_activities
from tests.push.conftest import a_call, an_email

WHO = "003000000000001AAA"


def valid(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "call",
        "prospect_crm_id": WHO,
        "occurred_at": "2026-03-02T10:04:00-05:00",
        "direction": "outbound",
        "duration_seconds": 42,
        "outcome": "Connected",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        ActivityIn.model_validate(data)
    return describe_errors(caught.value)


# -- the accepted shape --------------------------------------------------------------------


def test_given_a_valid_call_then_time_is_kept_in_utc() -> None:
    activity = ActivityIn.model_validate(valid())
    assert activity.occurred_at == datetime(2026, 3, 2, 15, 4, tzinfo=UTC)
    assert activity.occurred_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("key", ["body", "recording_url", "transcript"])
def test_given_content_keys_then_they_are_refused_by_name(key: str) -> None:
    problems = problems_of(valid(**{key: "Hi Dana, as discussed..."}))
    assert problems == [
        f"{key}: refused: activity content (bodies, recordings, transcripts) is never "
        "accepted; send metadata only"
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"id": None}, "id"),
        ({"kind": "meeting"}, "kind"),
        ({"prospect_crm_id": "003-bad"}, "prospect_crm_id"),
        ({"prospect_crm_id": "003000000000001AAAA"}, "prospect_crm_id"),
        ({"occurred_at": "2026-03-02T10:04:00"}, "occurred_at"),
        ({"direction": "sideways"}, "direction"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"subject": "s" * 256}, "subject"),
        ({"colour": "blue"}, "colour"),
    ],
    ids=[
        "bad-uuid",
        "no-id",
        "bad-kind",
        "bad-crm-id",
        "19-char-id",
        "naive-time",
        "bad-direction",
        "negative-duration",
        "long-subject",
        "unknown-key",
    ],
)
def test_given_an_invalid_field_then_the_problem_names_it(
    overrides: dict[str, Any], field: str
) -> None:
    problems = problems_of(valid(**overrides))
    assert len(problems) == 1
    assert problems[0].startswith(f"{field}: ")


def test_given_an_email_with_a_duration_then_it_is_refused() -> None:
    problems = problems_of(valid(kind="email"))
    assert problems == [
        "duration_seconds: Value error, duration_seconds applies to calls only; "
        "leave it out for emails"
    ]


def test_given_a_15_char_crm_id_then_it_is_accepted() -> None:
    assert ActivityIn.model_validate(valid(prospect_crm_id=WHO[:15])).prospect_crm_id == WHO[:15]


def test_given_jsonl_with_bad_lines_then_each_problem_names_line_and_field() -> None:
    lines = [
        json.dumps(valid()),
        "",
        json.dumps(valid(body="full email text")),
        "{not json",
        json.dumps(valid(kind="fax")),
        "[1, 2]",
    ]
    activities, problems = parse_lines(lines)
    assert len(activities) == 1
    assert problems[0].startswith("line 3: body: refused")
    assert problems[1].startswith("line 4: not valid JSON")
    assert problems[2].startswith("line 5: kind: ")
    assert problems[3] == "line 6: expected a JSON object, got list"


# -- recording into the store (SQLite and PostgreSQL) ---------------------------------------


@pytest.fixture
def store(engine: Engine) -> TenantStore:
    return TenantStore(engine, "acme")


def test_given_new_activities_then_they_are_pending(store: TenantStore) -> None:
    result = record_activities(store, [a_call(WHO, 1), an_email(WHO, 2)])
    assert (result.created, result.total) == (2, 2)
    assert store.activity_counts() == {"pending": 2}


def test_given_the_same_content_again_then_nothing_changes(store: TenantStore) -> None:
    call = a_call(
        WHO, occurred_at=datetime(2026, 3, 2, 10, 4, tzinfo=timezone(timedelta(hours=-5)))
    )
    record_activities(store, [call])
    again = ActivityIn.model_validate(call.model_dump())
    assert record_activities(store, [again]).unchanged == 1
    assert store.activity_counts() == {"pending": 1}


def test_given_changed_content_before_push_then_the_pending_row_is_updated(
    store: TenantStore,
) -> None:
    call = a_call(WHO, outcome="No answer")
    record_activities(store, [call])
    result = record_activities(store, [call.model_copy(update={"outcome": "Connected"})])
    assert result.updated == 1
    row = store.get_activity(str(call.id))
    assert row is not None
    assert (row.outcome, row.push_status) == ("Connected", "pending")


def _mark_pushed(store: TenantStore, activity: ActivityIn, task_id: str) -> None:
    sent = store.load_pending([str(activity.id)])
    store.mark_push_results(sent, [UpsertResult(str(activity.id), True, task_id, True)])


def test_given_a_pushed_activity_when_it_changes_then_it_is_pending_again(
    store: TenantStore,
) -> None:
    call = a_call(WHO, outcome="No answer")
    record_activities(store, [call])
    _mark_pushed(store, call, "00T000000000001AAA")
    assert record_activities(store, [call]).unchanged == 1
    result = record_activities(store, [call.model_copy(update={"outcome": "Connected"})])
    assert result.requeued == 1
    row = store.get_activity(str(call.id))
    assert row is not None
    assert (row.push_status, row.crm_task_id) == ("pending", "00T000000000001AAA")


def test_given_results_then_success_transient_and_permanent_are_stored(
    store: TenantStore,
) -> None:
    ok, busy, bad = a_call(WHO, 1), a_call(WHO, 2), a_call(WHO, 3)
    record_activities(store, [ok, busy, bad])
    sent = store.load_pending([str(a.id) for a in (ok, busy, bad)])
    outcome = store.mark_push_results(
        sent,
        [
            UpsertResult(str(ok.id), True, "00T000000000001AAA", True),
            UpsertResult(str(busy.id), False, None, None, "UNABLE_TO_LOCK_ROW", "busy", True),
            UpsertResult(str(bad.id), False, None, None, "INVALID_CROSS_REFERENCE_KEY", "bad id"),
        ],
    )
    assert (outcome.pushed, outcome.created, outcome.retry, outcome.failed) == (1, 1, 1, 1)
    rows = {a: store.get_activity(str(a.id)) for a in (ok, busy, bad)}
    assert rows[ok] is not None and rows[ok].push_status == "pushed"
    assert rows[ok].pushed_at is not None
    assert rows[busy] is not None
    assert (rows[busy].push_status, rows[busy].attempts) == ("pending", 1)
    assert rows[bad] is not None
    assert (rows[bad].push_status, rows[bad].error_code) == (
        "failed",
        "INVALID_CROSS_REFERENCE_KEY",
    )
    assert store.requeue_failed() == 1
    assert store.activity_counts() == {"pushed": 1, "pending": 2}


def test_given_an_activity_changed_while_in_flight_then_its_result_leaves_it_pending(
    store: TenantStore,
) -> None:
    call = a_call(WHO, outcome="No answer")
    record_activities(store, [call])
    sent = store.load_pending([str(call.id)])
    record_activities(store, [call.model_copy(update={"outcome": "Connected"})])
    outcome = store.mark_push_results(sent, [UpsertResult(str(call.id), True, "00T1", True)])
    assert outcome.skipped == 1
    assert store.activity_counts() == {"pending": 1}


def _between_read_and_write(
    store: TenantStore, monkeypatch: pytest.MonkeyPatch, step: Callable[[], None]
) -> None:
    """Run `step` once, right after `store`'s next transaction has read its activity rows."""
    read = store._load
    pending = [step]

    def read_then_step(session: Any, activity_ids: Any) -> Any:
        rows = read(session, activity_ids)
        while pending:
            pending.pop()()
        return rows

    monkeypatch.setattr(store, "_load", read_then_step)


def test_given_a_push_marks_pushed_between_an_imports_read_and_write_then_the_change_is_resent(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    importer, pusher = TenantStore(engine, "acme"), TenantStore(engine, "acme")
    call = a_call(WHO, outcome="No answer")
    record_activities(importer, [call])
    sent = pusher.load_pending([str(call.id)])  # the push is in flight with "No answer"
    ok = [UpsertResult(str(call.id), True, "00T000000000001AAA", True)]
    _between_read_and_write(importer, monkeypatch, lambda: _marked(pusher, sent, ok))

    result = record_activities(importer, [call.model_copy(update={"outcome": "Connected"})])

    assert result.total == 1
    row = importer.get_activity(str(call.id))
    assert row is not None
    assert (row.outcome, row.push_status) == ("Connected", "pending")
    [again] = pusher.load_pending(pusher.pending_activity_ids())
    assert again.outcome == "Connected"


def test_given_an_import_commits_between_a_pushs_read_and_write_then_the_push_leaves_it_pending(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    importer, pusher = TenantStore(engine, "acme"), TenantStore(engine, "acme")
    call = a_call(WHO, outcome="No answer")
    record_activities(importer, [call])
    sent = pusher.load_pending([str(call.id)])
    changed = call.model_copy(update={"outcome": "Connected"})
    _between_read_and_write(pusher, monkeypatch, lambda: record_activities(importer, [changed]))

    outcome = pusher.mark_push_results(sent, [UpsertResult(str(call.id), True, "00T1", True)])

    assert outcome.skipped == 1
    row = importer.get_activity(str(call.id))
    assert row is not None
    assert (row.outcome, row.push_status) == ("Connected", "pending")


@pytest.mark.parametrize("same_content", [True, False], ids=["same", "changed"])
def test_given_another_import_inserts_the_same_new_activity_between_read_and_write_then_both_land(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, same_content: bool
) -> None:
    first, second = TenantStore(engine, "acme"), TenantStore(engine, "acme")
    call = a_call(WHO, outcome="No answer")
    later = call if same_content else call.model_copy(update={"outcome": "Connected"})
    others = [a_call(WHO, n) for n in range(1, 4)]
    _between_read_and_write(second, monkeypatch, lambda: _created(first, [call]))

    result = record_activities(second, [later, *others])

    expected = (3, 1, 0) if same_content else (3, 0, 1)
    assert (result.created, result.unchanged, result.updated) == expected
    row = first.get_activity(str(call.id))
    assert row is not None
    assert (row.outcome, row.push_status) == (later.outcome, "pending")
    assert row.version == (1 if same_content else 2)
    assert first.activity_counts() == {"pending": 4}


def test_given_imports_of_the_same_new_activities_at_once_then_none_fails_and_one_row_each(
    engine: Engine,
) -> None:
    workers, rounds = 4, 15
    errors: list[BaseException] = []
    start = threading.Barrier(workers)
    batches = [[a_call(WHO, n) for n in range(20)] for _ in range(rounds)]

    def import_all(worker: int) -> None:
        store = TenantStore(engine, "acme")
        try:
            for calls in batches:
                start.wait(timeout=60)
                mine = [c.model_copy(update={"outcome": f"worker {worker}"}) for c in calls]
                record_activities(store, mine)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            start.abort()

    threads = [threading.Thread(target=import_all, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not [e for e in errors if not isinstance(e, threading.BrokenBarrierError)], errors
    store = TenantStore(engine, "acme")
    assert store.activity_counts() == {"pending": 20 * rounds}
    rows = [store.get_activity(str(c.id)) for calls in batches for c in calls]
    assert {row.outcome for row in rows if row is not None} <= {f"worker {n}" for n in range(4)}


def _created(store: TenantStore, activities: list[ActivityIn]) -> None:
    assert record_activities(store, activities).created == len(activities)


def _marked(store: TenantStore, sent: Any, results: Any) -> None:
    assert store.mark_push_results(sent, results).pushed == 1


def test_given_a_record_that_keeps_failing_transiently_then_it_is_parked(
    store: TenantStore,
) -> None:
    call = a_call(WHO)
    record_activities(store, [call])
    busy = UpsertResult(str(call.id), False, None, None, "UNABLE_TO_LOCK_ROW", "busy", True)
    for _ in range(MAX_TRANSIENT_ATTEMPTS):
        store.mark_push_results(store.load_pending([str(call.id)]), [busy])
    row = store.get_activity(str(call.id))
    assert row is not None
    assert (row.push_status, row.attempts) == ("failed", MAX_TRANSIENT_ATTEMPTS)


def test_activities_stay_in_their_customer(engine: Engine) -> None:
    acme, other = TenantStore(engine, "acme"), TenantStore(engine, "globex")
    call = a_call(WHO)
    record_activities(acme, [call])
    assert other.get_activity(str(call.id)) is None
    assert other.pending_activity_ids() == []
