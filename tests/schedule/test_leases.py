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
from connector.schedule.leases import HeldLease, hold_lease, holder_id, parse_holder
from connector.schedule.settings import get_schedule_settings
from connector.store import TenantStore
from connector.store.leases import LeaseLost, db_time
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


HOLDER = Path(__file__).with_name("lease_holder.py")


def test_given_the_holder_was_killed_on_this_host_then_the_lease_is_taken_at_once(
    engine: Engine,
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    child = subprocess.Popen(
        [sys.executable, str(HOLDER), url, "acme"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=HOLDER.parents[2],
        env=child_env(engine),
    )
    assert child.stdout is not None
    answer = child.stdout.readline().split()
    assert answer[0] == "held", answer
    store = TenantStore(engine, "acme")
    with hold_lease(store, TTL) as blocked:
        assert blocked is None  # a live holder keeps its lease
    child.kill()
    child.wait(timeout=30)

    with hold_lease(store, TTL) as taken:
        assert taken is not None, "a dead holder's lease is not free before its expiry"
        assert taken.token == int(answer[1]) + 1


@pytest.mark.parametrize(
    "holder",
    [
        pytest.param("live", id="a-live-process-of-this-host"),
        pytest.param("elsewhere:1:0a1b2c3d", id="a-process-of-another-host"),
        pytest.param("erasure", id="not-a-process"),
    ],
)
def test_given_a_holder_not_provably_gone_then_its_lease_waits_for_expiry(
    sqlite_engine: Engine, holder: str
) -> None:
    if holder == "live":
        holder = holder_id()  # this very process, under another name
    store = TenantStore(sqlite_engine, "acme")
    assert store.acquire_lease(holder, TTL) == 1
    with hold_lease(store, TTL) as lease:
        assert lease is None
    assert store.current_lease().holder == holder  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("holder", "expected"),
    [
        ("host-a:4242:0a1b2c3d", ("host-a", 4242)),
        ("host-a~pidns4026531836:17:ffffffff", ("host-a~pidns4026531836", 17)),
        ("erasure", None),
        ("host:notapid:0a1b2c3d", None),
        ("host:-5:0a1b2c3d", None),
        ("", None),
    ],
)
def test_a_holder_name_gives_its_host_and_process(
    holder: str, expected: tuple[str, int] | None
) -> None:
    assert parse_holder(holder) == expected


def test_given_a_configured_ttl_then_a_lease_taken_without_one_lives_that_long(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_LEASE_TTL", "42")
    get_schedule_settings.cache_clear()
    store = TenantStore(sqlite_engine, "acme")
    before = utcnow()
    with hold_lease(store) as lease:
        assert lease is not None and lease.ttl == timedelta(seconds=42)
        expires = store.current_lease().expires_at  # type: ignore[union-attr]
        assert expires is not None
        assert (
            before + timedelta(seconds=42) <= db_time(expires) <= utcnow() + timedelta(seconds=42)
        )
