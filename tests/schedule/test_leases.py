"""Invariant 7: one sync per customer at a time, by a lease with expiry and a fencing token.

Races run on SQLite and PostgreSQL (the `engine` fixture), between threads and between
processes; fencing refuses a worker whose lease expired and was taken over.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from connector.schedule.jobs import FencedObserver
from connector.schedule.leases import HeldLease, hold_lease
from connector.store import TenantStore
from connector.store.leases import LeaseLost
from connector.store.models import utcnow
from tests.helpers.stores import child_env

TTL = timedelta(minutes=5)
RACER = Path(__file__).with_name("lease_racer.py")


def race_threads(engine: Engine, customer: str, workers: int) -> list[int | None]:
    barrier = threading.Barrier(workers)
    results: list[int | None] = [None] * workers
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        store = TenantStore(engine, customer)
        barrier.wait()
        try:
            results[index] = store.acquire_lease(f"thread-{index}", TTL)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_given_threads_racing_for_one_customer_then_exactly_one_holds_the_lease(
    engine: Engine,
) -> None:
    for round_ in range(10):
        results = race_threads(engine, f"acme-{round_}", workers=6)
        winners = [token for token in results if token is not None]
        assert winners == [1], results


def test_given_processes_racing_for_one_customer_then_exactly_one_holds_the_lease(
    engine: Engine, tmp_path: Path
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    for round_ in range(3):
        go = tmp_path / f"go-{round_}"
        racers = [
            subprocess.Popen(
                [sys.executable, str(RACER), url, f"proc-{round_}", str(go)],
                stdout=subprocess.PIPE,
                text=True,
                cwd=RACER.parents[2],
                env=child_env(engine),
            )
            for _ in range(4)
        ]
        for racer in racers:
            assert racer.stdout is not None and racer.stdout.readline().strip() == "ready"
        go.touch()
        answers = [racer.communicate(timeout=60)[0].strip() for racer in racers]
        assert all(racer.returncode == 0 for racer in racers)
        assert sorted(answers) == ["1", "none", "none", "none"], answers


def test_given_lease_held_when_it_expires_then_another_worker_takes_it_with_larger_token(
    engine: Engine,
) -> None:
    store = TenantStore(engine, "acme")
    now = utcnow()
    first = store.acquire_lease("a", TTL, now=now)
    assert store.acquire_lease("b", TTL, now=now + TTL - timedelta(seconds=1)) is None
    second = store.acquire_lease("b", TTL, now=now + TTL + timedelta(seconds=1))
    assert first is not None and second is not None and second > first
    assert store.current_lease().holder == "b"  # type: ignore[union-attr]


def test_given_expired_lease_taken_over_when_old_worker_writes_fenced_then_refused(
    engine: Engine,
) -> None:
    store = TenantStore(engine, "acme")
    now = utcnow()
    old = store.acquire_lease("slow-worker", timedelta(seconds=1), now=now)
    new = store.acquire_lease("new-worker", TTL, now=now + timedelta(seconds=2))
    assert old is not None and new is not None
    with pytest.raises(LeaseLost):
        store.check_fence(old)
    with pytest.raises(LeaseLost):
        store.save_schedule_state(
            token=old, next_due_at=now, last_run_at=now, consecutive_failures=0
        )
    assert store.schedule_state().last_run_at is None  # nothing was written
    assert not store.renew_lease("slow-worker", old, TTL)
    assert not store.release_lease("slow-worker", old)
    store.check_fence(new)  # the new holder writes on
    store.save_schedule_state(token=new, next_due_at=now, last_run_at=now, consecutive_failures=0)
    assert store.schedule_state().last_run_at == now


def test_given_lease_released_then_next_acquisition_gets_a_larger_token(engine: Engine) -> None:
    store = TenantStore(engine, "acme")
    first = store.acquire_lease("a", TTL)
    assert first is not None and store.release_lease("a", first)
    second = store.acquire_lease("b", TTL)
    assert second == first + 1
    with pytest.raises(LeaseLost):
        store.check_fence(first)


def test_given_holder_renews_then_lease_outlives_its_first_expiry(engine: Engine) -> None:
    store = TenantStore(engine, "acme")
    now = utcnow()
    token = store.acquire_lease("a", timedelta(seconds=10), now=now)
    assert token is not None
    assert store.renew_lease("a", token, timedelta(seconds=10), now=now + timedelta(seconds=8))
    assert store.acquire_lease("b", TTL, now=now + timedelta(seconds=12)) is None


def test_given_leases_of_two_customers_then_they_do_not_block_each_other(engine: Engine) -> None:
    assert TenantStore(engine, "acme").acquire_lease("a", TTL) == 1
    assert TenantStore(engine, "globex").acquire_lease("b", TTL) == 1


def test_given_held_lease_then_hold_lease_elsewhere_is_busy_and_release_frees_it(
    sqlite_engine: Engine,
) -> None:
    store = TenantStore(sqlite_engine, "acme")
    with hold_lease(store, TTL) as held:
        assert held is not None
        with hold_lease(store, TTL) as other:
            assert other is None
    with hold_lease(store, TTL) as again:
        assert again is not None and again.token == held.token + 1


def test_given_lease_taken_over_while_held_then_heartbeat_notices_and_pull_observer_stops(
    sqlite_engine: Engine,
) -> None:
    store = TenantStore(sqlite_engine, "acme")
    ttl = timedelta(seconds=0.3)
    with hold_lease(store, ttl) as held:
        assert held is not None
        observer = FencedObserver(held)
        observer.page_saved(None, 0, None)  # type: ignore[arg-type]
        # another worker takes over (as if this one had stalled past its expiry)
        later = utcnow() + timedelta(seconds=5)
        assert store.acquire_lease("usurper", TTL, now=later) == held.token + 1
        deadline = time.monotonic() + 5
        while not held.lost and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.lost
        with pytest.raises(LeaseLost):
            observer.page_saved(None, 0, None)  # type: ignore[arg-type]
    assert store.current_lease().holder == "usurper"  # type: ignore[union-attr]


def test_given_lease_taken_over_then_check_notices_even_before_a_heartbeat(
    sqlite_engine: Engine,
) -> None:
    store = TenantStore(sqlite_engine, "acme")
    token = store.acquire_lease("me", TTL)
    assert token is not None
    held = HeldLease(store, "me", token, TTL)  # not started: no heartbeat
    held.check()
    store.acquire_lease("other", TTL, now=utcnow() + TTL * 2)
    with pytest.raises(LeaseLost):
        held.check()
    assert held.lost
