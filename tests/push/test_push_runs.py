"""A push run's totals over several batches, a store failure between batches, and the
suppression list applied to recorded activities as the import command applies it."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from connector.errors import StoreError
from connector.privacy.subjects import row_subjects
from connector.privacy.suppression import SuppressionKeys, SuppressionList
from connector.store import TenantStore
from connector.store.activities import MarkOutcome
from connector.sync.push import push, record_activities
from tests.push.conftest import Sandbox, a_call, field_map

FM = field_map()


@pytest.fixture
def store(sqlite_engine: Engine) -> TenantStore:
    return TenantStore(sqlite_engine, "acme")


def test_given_a_parked_activity_in_each_of_two_batches_then_the_run_counts_both(
    box: Sandbox, store: TenantStore
) -> None:
    who = box.contact_ids(1)[0]
    first_batch = [a_call(box.missing_contact_id())] + [a_call(who, n % 60) for n in range(199)]
    record_activities(store, first_batch)
    record_activities(store, [a_call(box.missing_contact_id())])  # recorded last: batch two

    run = push(FM, store, box.crm())

    assert (run.status, run.api_calls) == ("succeeded", 2)
    assert (run.activities_pushed, run.activities_failed) == (199, 2)
    assert store.activity_counts() == {"pushed": 199, "failed": 2}


def test_given_the_store_failing_between_batches_then_the_run_records_a_store_error(
    box: Sandbox, store: TenantStore, sqlite_engine: Engine
) -> None:
    who = box.contact_ids(1)[0]
    record_activities(store, [a_call(who, n % 60) for n in range(201)])

    def lose_the_outbox(outcome: MarkOutcome) -> None:
        with sqlite_engine.begin() as connection:
            connection.execute(text("DROP TABLE activities"))

    with pytest.raises(StoreError):
        push(FM, store, box.crm(), on_batch=lose_the_outbox)

    [run] = store.list_runs(5)
    assert (run.status, run.error_code) == ("failed", "StoreError")  # no code: the error's kind
    assert (run.activities_pushed, run.api_calls) == (200, 1)
    assert run.finished_at is not None


def test_given_the_suppression_list_then_each_forgotten_persons_activity_is_dropped(
    store: TenantStore,
) -> None:
    kept, forgotten = "003000000000001AAA", "003000000000002AAA"
    keys = SuppressionKeys((secrets.token_bytes(32),))
    listed = frozenset(keys.hash(subject) for subject in row_subjects(forgotten, {}))
    dropped = [a_call(forgotten, 1), a_call(forgotten, 2)]

    result = record_activities(
        store, [a_call(kept), *dropped], suppressed=SuppressionList(listed, keys)
    )

    assert (result.created, result.suppressed) == (1, 2)
    assert [store.get_activity(str(a.id)) for a in dropped] == [None, None]
