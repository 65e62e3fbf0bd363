"""What a push tells the operator: how many activities it found and each batch's outcome, on
lines that carry the customer and the run's id."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import Engine

from connector.logs import ContextFilter, log_context
from connector.store import TenantStore
from connector.sync.push import push, record_activities
from tests.push.conftest import Sandbox, a_call, field_map

FM = field_map()
LOGGER = "connector.sync.push"


def test_given_new_changed_and_orphan_activities_then_the_batch_line_counts_each(
    box: Sandbox, sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    store = TenantStore(sqlite_engine, "acme")
    who = box.contact_ids(1)[0]
    changed = a_call(who, 1)
    record_activities(store, [changed])
    first = push(FM, store, box.crm())
    record_activities(
        store,
        [
            a_call(who, 1, id=changed.id, outcome="Left voicemail"),
            a_call(who, 2),
            a_call(box.missing_contact_id()),
        ],
    )
    caplog.handler.addFilter(ContextFilter())

    with caplog.at_level(logging.INFO, logger=LOGGER), log_context(job="push"):
        second = push(FM, store, box.crm())

    records = [r for r in caplog.records if r.name == LOGGER]
    assert [r.getMessage() for r in records] == [
        "customer acme: 3 activities to push",
        "customer acme: batch of 3: 2 pushed (1 new), 1 parked, 0 to retry, 0 left pending",
    ]
    context = [(getattr(r, "customer", None), getattr(r, "run_id", None)) for r in records]
    assert context == [("acme", second.run_id)] * 2
    assert second.run_id != first.run_id
    assert (first.trigger, second.trigger) == ("manual", "manual")  # the default trigger
