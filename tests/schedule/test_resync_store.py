"""Resync requests and schedule state in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.engine import Engine

from connector.store import TenantStore
from connector.store.admin import as_utc
from connector.store.models import Connection, ScheduleState, utcnow
from connector.store.resync import scheduled_customers
from tests.helpers.concurrency import at_once

TTL = timedelta(minutes=5)


def connected(engine: Engine, customer: str, org: str = "00D000000000001AAA") -> TenantStore:
    store = TenantStore(engine, customer)
    store.save_connection(
        Connection(customer_id=customer, auth="jwt", login_url="https://x", organization_id=org)
    )
    return store


def test_given_same_request_id_twice_then_one_pending_request(engine: Engine) -> None:
    store = TenantStore(engine, "acme")
    assert store.record_resync("04l000000000001AAA", "outbound_message") == "recorded"
    assert store.record_resync("04l000000000001AAA", "outbound_message") == "duplicate"
    assert [r.request_id for r in store.pending_resyncs()] == ["04l000000000001AAA"]


def test_given_same_request_id_for_two_customers_then_each_keeps_its_own(engine: Engine) -> None:
    assert TenantStore(engine, "acme").record_resync("r1", "webhook") == "recorded"
    assert TenantStore(engine, "globex").record_resync("r1", "webhook") == "recorded"
    assert len(TenantStore(engine, "globex").pending_resyncs()) == 1


def test_given_a_pending_request_then_new_ones_coalesce_into_it(engine: Engine) -> None:
    store = TenantStore(engine, "acme")
    assert store.record_resync("r1", "webhook") == "recorded"
    outcomes = {store.record_resync(f"n{i}", "outbound_message") for i in range(100)}
    assert outcomes == {"coalesced"}
    assert [r.request_id for r in store.pending_resyncs()] == ["r1"]
    assert store.record_resync("r1", "webhook") == "duplicate"


def test_given_pending_request_when_finished_under_lease_then_the_next_one_is_recorded(
    engine: Engine,
) -> None:
    store = TenantStore(engine, "acme")
    store.record_resync("r1", "webhook")
    token = store.acquire_lease("me", TTL)
    assert token is not None
    handled = utcnow()
    assert store.finish_resyncs(["r1"], token=token, now=handled) == 1
    assert store.pending_resyncs() == []
    assert store.record_resync("r2", "webhook") == "recorded"
    state = store.schedule_state()
    assert (state.pending_resyncs, state.last_resync_at, state.resyncs_last_day) == (1, handled, 1)
    assert store.schedule_state(now=handled + timedelta(days=1, seconds=1)).resyncs_last_day == 0


def test_scheduled_customers_lists_connected_customers_with_state(engine: Engine) -> None:
    acme = connected(engine, "acme")
    connected(engine, "globex").set_customer_status("paused", "offboarding")
    TenantStore(engine, "initech").record_resync("r1", "webhook")  # not connected
    acme.record_resync("r1", "webhook")
    token = acme.acquire_lease("me", TTL)
    assert token is not None
    now = utcnow()
    acme.save_schedule_state(token=token, next_due_at=now, last_run_at=now, consecutive_failures=2)
    plans = {plan.customer_id: plan for plan in scheduled_customers(engine, now)}
    assert sorted(plans) == ["acme", "globex"]
    assert plans["acme"].pending_resyncs == 1
    assert plans["acme"].consecutive_failures == 2
    assert plans["acme"].next_due_at == now
    assert plans["globex"].status == "paused"
    assert plans["globex"].next_due_at is None and plans["globex"].pending_resyncs == 0
    assert plans["acme"] == acme.schedule_state(now)


def test_given_a_request_coalesced_during_a_run_then_it_stays_pending_after_the_run(
    engine: Engine,
) -> None:
    store = TenantStore(engine, "acme")
    t0 = utcnow()
    store.record_resync("r1", "webhook", now=t0)
    token = store.acquire_lease("me", TTL)
    assert token is not None
    started = t0 + timedelta(minutes=1)
    assert store.record_resync("r2", "webhook", now=started + timedelta(seconds=5)) == "coalesced"
    assert store.finish_resyncs(["r1"], token=token, requested_until=started) == 0
    assert [r.request_id for r in store.pending_resyncs()] == ["r1"]
    later = started + timedelta(minutes=20)
    assert store.finish_resyncs(["r1"], token=token, requested_until=later) == 1
    assert store.pending_resyncs() == []


def _race_to_a_new_schedule_state(store: TenantStore, now: datetime) -> list[Exception]:
    token = store.acquire_lease("worker", TTL)
    assert token is not None
    return at_once(
        lambda: store.save_schedule_state(
            token=token,
            next_due_at=now + timedelta(minutes=15),
            last_run_at=now,
            consecutive_failures=0,
        ),
        lambda: store.save_column_check(now, 2),
        lambda: store.make_due_now(now),
    )


def test_writers_racing_to_a_new_schedule_state_all_succeed_and_keep_each_others_columns(
    engine: Engine,
) -> None:
    """The scheduler's column check, a worker finishing its run and an operator's "sync now"
    may each be the first to write a customer's schedule state, at the same moment. None of
    them may fail for it (a worker whose state write failed left its customer due, and the
    customer was pulled again), and each keeps the columns the others wrote."""
    now = utcnow()
    for n in range(12):
        store = TenantStore(engine, f"race-{n:02d}")

        assert _race_to_a_new_schedule_state(store, now) == []

        with store.session() as session:
            state = session.get(ScheduleState, store.customer_id)
            assert state is not None
            times = (state.last_run_at, state.column_check_at, state.next_due_at)
            last_run, column_check, next_due = (as_utc(t) if t else None for t in times)
            assert (last_run, state.consecutive_failures) == (now, 0)
            assert (column_check, state.column_problems) == (now, 2)
            # "sync now" only ever brings the due time forward; the run's own is later
            assert next_due in {now, now + timedelta(minutes=15)}


def test_sync_now_never_puts_the_due_time_back(engine: Engine) -> None:
    store = TenantStore(engine, "acme")
    now = utcnow()
    store.make_due_now(now)
    store.make_due_now(now + timedelta(minutes=5))  # later: the earlier due time stays
    assert store.schedule_state().next_due_at == now
    store.make_due_now(now - timedelta(minutes=5))
    assert store.schedule_state().next_due_at == now - timedelta(minutes=5)


def test_writers_racing_to_a_new_customer_row_all_succeed(engine: Engine) -> None:
    """A first pull, a pause, a refused token and a first connection may all find no
    customer row yet; one of them creates it and none fails (each used to read, then
    insert)."""
    statuses = {"active", "paused", "reconnect_needed"}
    for n in range(12):
        customer_id = f"new-{n:02d}"
        store = TenantStore(engine, customer_id)
        connection = Connection(customer_id=customer_id, auth="jwt", login_url="https://x")

        errors = at_once(
            store.ensure_customer,
            partial(store.set_customer_status, "paused", "by the operator"),
            partial(store.mark_reconnect_needed, "the CRM refused the token"),
            partial(store.save_connection, connection),
        )

        assert errors == []
        customer = store.get_customer()
        assert customer is not None and customer.status in statuses


def test_two_first_connections_at_once_both_succeed_and_one_of_them_is_kept(
    engine: Engine,
) -> None:
    """An admin's consent and a `connector connect` may both be a customer's first
    connection; neither fails for it (saving used to read, then insert), and the stored
    connection is one of the two, whole."""
    for n in range(12):
        customer_id = f"first-{n:02d}"
        store = TenantStore(engine, customer_id)
        by_jwt = Connection(
            customer_id=customer_id, auth="jwt", login_url="https://a", username="a@x"
        )
        by_web = Connection(customer_id=customer_id, auth="web", login_url="https://b")

        errors = at_once(
            partial(store.save_connection, by_jwt), partial(store.save_connection, by_web)
        )

        assert errors == []
        stored = store.get_connection()
        assert stored is not None
        assert (stored.auth, stored.login_url, stored.username) in {
            ("jwt", "https://a", "a@x"),
            ("web", "https://b", None),
        }
