"""Resync requests and schedule state in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from connector.store import TenantStore
from connector.store.models import Connection, utcnow
from connector.store.resync import scheduled_customers

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
