"""The lease rules as documented: free, expired or ours can be taken; tokens only grow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.engine import Engine

from connector.errors import LeaseLost
from connector.store import TenantStore
from connector.store.leases import db_time

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)
TICK = timedelta(microseconds=1)


@pytest.fixture
def store(sqlite_engine: Engine) -> TenantStore:
    store = TenantStore(sqlite_engine, "acme")
    store.ensure_customer()
    return store


def test_given_no_lease_then_the_first_holder_gets_token_1_until_now_plus_ttl(
    store: TenantStore,
) -> None:
    assert store.current_lease() is None
    assert store.acquire_lease("w1", TTL, now=NOW) == 1
    lease = store.current_lease()
    assert lease is not None
    assert (lease.holder, lease.token, db_time(lease.expires_at)) == ("w1", 1, NOW + TTL)  # type: ignore[arg-type]


def test_given_a_live_lease_then_another_holder_is_refused_until_it_expires(
    store: TenantStore,
) -> None:
    assert store.acquire_lease("w1", TTL, now=NOW) == 1
    assert store.acquire_lease("w2", TTL, now=NOW + TTL - TICK) is None
    taken_at = NOW + TTL + TICK
    assert store.acquire_lease("w2", TTL, now=taken_at) == 2
    lease = store.current_lease()
    assert lease is not None and (lease.holder, lease.token) == ("w2", 2)
    assert db_time(lease.expires_at) == taken_at + TTL  # type: ignore[arg-type]


def test_given_our_own_live_lease_then_taking_it_again_moves_the_token_on(
    store: TenantStore,
) -> None:
    assert store.acquire_lease("w1", TTL, now=NOW) == 1
    assert store.acquire_lease("w1", TTL, now=NOW + TICK) == 2
    with pytest.raises(LeaseLost):
        store.check_fence(1)
    store.check_fence(2)


def test_given_a_release_then_the_next_holder_gets_a_larger_token_at_once(
    store: TenantStore,
) -> None:
    assert store.acquire_lease("w1", TTL, now=NOW) == 1
    assert store.release_lease("w2", 1) is False  # not ours: nothing changes
    assert store.release_lease("w1", 2) is False  # not our token
    lease = store.current_lease()
    assert lease is not None and lease.holder == "w1"
    assert store.release_lease("w1", 1) is True
    lease = store.current_lease()
    assert lease is not None and (lease.holder, lease.token, lease.expires_at) == (None, 1, None)
    assert store.acquire_lease("w2", TTL, now=NOW) == 2


def test_given_a_renewal_then_the_expiry_moves_and_a_stale_token_cannot_renew(
    store: TenantStore,
) -> None:
    assert store.acquire_lease("w1", TTL, now=NOW) == 1
    later = NOW + timedelta(minutes=4)
    assert store.renew_lease("w1", 1, TTL, now=later) is True
    lease = store.current_lease()
    assert lease is not None and db_time(lease.expires_at) == later + TTL  # type: ignore[arg-type]
    assert store.acquire_lease("w2", TTL, now=NOW + TTL + TICK) is None  # renewed: still live
    assert store.renew_lease("w1", 2, TTL, now=later) is False
    assert store.renew_lease("w2", 1, TTL, now=later) is False


def test_given_naive_or_zoned_times_then_they_are_compared_in_utc() -> None:
    assert db_time(datetime(2026, 3, 2, 12, 0)) == NOW
    assert db_time(datetime(2026, 3, 2, 14, 0, tzinfo=timezone(timedelta(hours=2)))) == NOW
    assert db_time(NOW).tzinfo is UTC
    assert db_time(datetime(2026, 3, 2, 14, 0, tzinfo=timezone(timedelta(hours=2)))).tzinfo is UTC


def test_given_leases_of_two_customers_then_they_do_not_touch(sqlite_engine: Engine) -> None:
    acme, globex = TenantStore(sqlite_engine, "acme"), TenantStore(sqlite_engine, "globex")
    acme.ensure_customer()
    globex.ensure_customer()
    assert acme.acquire_lease("w1", TTL, now=NOW) == 1
    assert globex.acquire_lease("w2", TTL, now=NOW) == 1
    assert acme.release_lease("w1", 1) is True
    lease = globex.current_lease()
    assert lease is not None and lease.holder == "w2"
    # the same holder name and token in both: releasing one leaves the other
    assert acme.acquire_lease("w2", TTL, now=NOW) == 2
    assert globex.acquire_lease("w2", TTL, now=NOW) == 2
    assert acme.release_lease("w2", 2) is True
    lease = globex.current_lease()
    assert lease is not None and (lease.holder, lease.token) == ("w2", 2)
