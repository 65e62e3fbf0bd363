"""Offboarding erasure: the whole partition goes, on time, and nothing else does."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import pytest
from privacy_builders import NOW, rows_of, seed_customer
from sqlalchemy import text
from sqlalchemy.engine import Engine

from connector.errors import ConfigError, StoreError
from connector.privacy.erase import (
    erase_customer,
    pending_erasures,
    request_erasure,
    run_due_erasures,
)
from connector.store.admin import AdminStore, as_utc
from connector.store.models import AuditEvent, Customer
from tests.helpers.concurrency import at_once

Calls = list[str]


def _revoker(calls: Calls, error: str | None = None):  # type: ignore[no-untyped-def]
    def revoke(engine: Engine, customer: str) -> str | None:
        calls.append(customer)
        return error

    return revoke


def test_given_two_customers_when_one_is_erased_then_no_row_of_it_is_left_in_any_table(
    engine: Engine,
) -> None:
    seed_customer(engine, "acme")
    seed_customer(engine, "beta")
    before_beta = rows_of(engine, "beta")
    calls: Calls = []

    request_erasure(engine, "acme", "cli:ops", now=NOW)
    outcome = erase_customer(engine, "acme", NOW, revoke=_revoker(calls))

    left = rows_of(engine, "acme")
    assert {table: n for table, n in left.items() if table != "erasures"} == dict.fromkeys(
        [t for t in left if t != "erasures"], 0
    )
    assert left["erasures"] == 1
    assert rows_of(engine, "beta") == before_beta
    assert calls == ["acme"]
    assert outcome.rows_deleted == sum(outcome.tables.values()) > 0
    record = AdminStore(engine).get_erasure("acme")
    assert record is not None and record.done_at is not None
    assert record.rows_deleted == outcome.rows_deleted
    assert record.requested_by == "cli:ops"


def test_given_a_failing_token_revocation_when_erasing_then_the_data_is_deleted_anyway(
    sqlite_engine: Engine,
) -> None:
    seed_customer(sqlite_engine, "acme")
    request_erasure(sqlite_engine, "acme", "cli:ops", now=NOW)

    outcome = erase_customer(sqlite_engine, "acme", NOW, revoke=_revoker([], "CrmError: down"))

    assert outcome.revoke_error == "CrmError: down"
    with sqlite_engine.connect() as conn:
        recorded = conn.execute(text("SELECT revoke_error FROM erasures")).scalar_one()
    assert recorded == "CrmError: down"
    assert sum(n for t, n in rows_of(sqlite_engine, "acme").items() if t != "erasures") == 0


def test_the_default_revocation_never_blocks_erasure_without_a_key_ring(
    sqlite_engine: Engine,
) -> None:
    seed_customer(sqlite_engine, "acme")  # has a connection with (fake) encrypted tokens
    request_erasure(sqlite_engine, "acme", "cli:ops", now=NOW)

    outcome = erase_customer(sqlite_engine, "acme", NOW)

    assert outcome.revoke_error  # no CONNECTOR_SECRET_KEYS: reported, not raised
    assert "SECRET-" not in outcome.revoke_error
    assert rows_of(sqlite_engine, "acme")["connections"] == 0


def test_an_erasure_date_more_than_ten_days_ahead_is_refused(sqlite_engine: Engine) -> None:
    seed_customer(sqlite_engine, "acme")
    with pytest.raises(ConfigError, match="within 10 days"):
        request_erasure(
            sqlite_engine, "acme", "cli:ops", on=NOW + timedelta(days=10, minutes=1), now=NOW
        )
    assert AdminStore(sqlite_engine).get_erasure("acme") is None
    request_erasure(sqlite_engine, "acme", "cli:ops", on=NOW + timedelta(days=10), now=NOW)


def test_given_a_date_the_erasure_is_due_at_its_midnight_utc(sqlite_engine: Engine) -> None:
    record = request_erasure(sqlite_engine, "acme", "cli:ops", on=date(2025, 3, 5), now=NOW)
    assert as_utc(record.due_at).isoformat() == "2025-03-05T00:00:00+00:00"


def test_a_requested_erasure_pauses_the_customer_and_is_audited(sqlite_engine: Engine) -> None:
    store = seed_customer(sqlite_engine, "acme")
    request_erasure(sqlite_engine, "acme", "cli:ops", on=NOW + timedelta(days=3), now=NOW)

    customer = store.get_customer()
    assert customer is not None and customer.status == "paused"
    events = [e for e in store.audit_events() if e.action == "erase_requested"]
    assert [e.actor for e in events] == ["cli:ops"]


def test_pending_lists_deadlines_and_overdue_and_run_due_erases_only_what_is_due(
    engine: Engine,
) -> None:
    for customer in ("acme", "beta", "gamma"):
        seed_customer(engine, customer)
    request_erasure(engine, "acme", "cli:ops", on=NOW + timedelta(days=1), now=NOW)
    request_erasure(engine, "beta", "cli:ops", on=NOW + timedelta(days=5), now=NOW)

    later = NOW + timedelta(days=2)
    pending = pending_erasures(engine, later)
    assert [(p.customer_id, p.overdue) for p in pending] == [("acme", True), ("beta", False)]

    calls: Calls = []
    outcomes = run_due_erasures(engine, later, revoke=_revoker(calls))

    assert [o.customer_id for o in outcomes] == ["acme"] == calls
    assert [p.customer_id for p in pending_erasures(engine, later)] == ["beta"]
    assert sum(rows_of(engine, "beta").values()) > 1
    assert rows_of(engine, "gamma")["prospects"] == 3
    assert run_due_erasures(engine, later, revoke=_revoker(calls)) == []


def test_asking_again_never_postpones_a_pending_erasure(engine: Engine) -> None:
    request_erasure(engine, "acme", "cli:a", on=NOW + timedelta(days=2), now=NOW)
    record = request_erasure(engine, "acme", "cli:b", on=NOW + timedelta(days=9), now=NOW)
    assert as_utc(record.due_at) == NOW + timedelta(days=2)
    assert record.requested_by == "cli:a"
    record = request_erasure(engine, "acme", "cli:c", now=NOW)
    assert as_utc(record.due_at) == NOW
    assert record.requested_by == "cli:c"


def test_a_request_after_an_erasure_was_done_starts_a_new_record(engine: Engine) -> None:
    """A customer erased, then onboarded again, can be erased again: the new request
    replaces the finished record, however its deadline compares."""
    admin = AdminStore(engine)
    admin.save_erasure_request("acme", due_at=NOW, requested_by="cli:a", requested_at=NOW)
    admin.erase_partition("acme", done_at=NOW)
    later = NOW + timedelta(days=30)
    record = admin.save_erasure_request(
        "acme", due_at=later + timedelta(days=2), requested_by="cli:b", requested_at=later
    )
    assert (record.done_at, record.rows_deleted, record.requested_by) == (None, None, "cli:b")
    assert as_utc(record.due_at) == later + timedelta(days=2)


def test_requests_racing_to_a_new_erasure_record_all_succeed_and_the_earliest_deadline_stays(
    engine: Engine,
) -> None:
    """Two people (a CLI and the console, say) may ask to erase the same customer at the
    same moment. Neither may fail for it, and the earlier deadline is the one kept."""
    admin = AdminStore(engine)
    early, late = NOW + timedelta(days=1), NOW + timedelta(days=3)
    save = partial(admin.save_erasure_request, requested_at=NOW)
    for n in range(12):
        customer = f"race-{n:02d}"
        errors = at_once(
            partial(save, customer, due_at=late, requested_by="cli:late"),
            partial(save, customer, due_at=early, requested_by="console:early"),
        )
        assert errors == []
        record = admin.get_erasure(customer)
        assert record is not None
        assert (as_utc(record.due_at), record.requested_by) == (early, "console:early")


def test_a_partition_is_never_deleted_without_an_erasure_record(sqlite_engine: Engine) -> None:
    seed_customer(sqlite_engine, "acme")
    with pytest.raises(StoreError, match="no erasure was requested"):
        AdminStore(sqlite_engine).erase_partition("acme", done_at=NOW)
    assert rows_of(sqlite_engine, "acme")["prospects"] == 3


def test_an_erased_customer_can_be_onboarded_again_and_erased_again(sqlite_engine: Engine) -> None:
    seed_customer(sqlite_engine, "acme")
    request_erasure(sqlite_engine, "acme", "cli:ops", now=NOW)
    erase_customer(sqlite_engine, "acme", NOW, revoke=_revoker([]))
    store = seed_customer(sqlite_engine, "acme")
    assert store.count(Customer) == 1

    request_erasure(sqlite_engine, "acme", "cli:ops", now=NOW + timedelta(days=30))
    assert [p.customer_id for p in pending_erasures(sqlite_engine, NOW)] == ["acme"]
    erase_customer(sqlite_engine, "acme", NOW + timedelta(days=30), revoke=_revoker([]))
    assert store.count(AuditEvent) == 0
