"""Connect links in the store: found by hash across customers, claimed once, kept apart."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from connector.crm.salesforce.connect_link import hash_secret, new_token
from connector.store import TenantStore
from connector.store.connect_links import connect_link_customer
from connector.store.models import ConnectLink, utcnow


def issue(engine: Engine, customer: str, *, expires_in: timedelta = timedelta(hours=1)) -> str:
    """Store a link for `customer` with a started flow; returns the token (state = token[::-1])."""
    token = new_token()
    now = utcnow()
    store = TenantStore(engine, customer)
    store.save_connect_link(
        ConnectLink(
            customer_id=customer,
            link_id=token[4:20],
            token_hash=hash_secret(token),
            login_url="https://login.salesforce.com",
            client_id="3MVG9-app",
            created_by="cli:test",
            expires_at=now + expires_in,
        )
    )
    store.start_connect_flow(
        token[4:20], state_hash=hash_secret(token[::-1]), verifier_enc="enc", now=now
    )
    return token


def test_a_link_is_found_by_its_token_or_state_hash_and_names_its_customer(engine: Engine) -> None:
    token = issue(engine, "acme")
    issue(engine, "beta")

    assert connect_link_customer(engine, hash_secret(token)) == "acme"
    assert connect_link_customer(engine, hash_secret(token[::-1])) == "acme"
    assert connect_link_customer(engine, hash_secret("ccl_other")) is None
    assert TenantStore(engine, "acme").connect_link_by_token(hash_secret(token)) is not None
    assert TenantStore(engine, "beta").connect_link_by_token(hash_secret(token)) is None


def test_a_link_is_claimed_once_and_a_failed_flow_releases_it(engine: Engine) -> None:
    token = issue(engine, "acme")
    store = TenantStore(engine, "acme")
    state = hash_secret(token[::-1])
    now = utcnow()

    assert store.claim_connect_link(state, now=now)
    assert not store.claim_connect_link(state, now=now)
    store.release_connect_link(state, claimed_at=now)
    link = store.connect_link_by_token(hash_secret(token))
    assert link is not None and link.used_at is None and link.state_hash is None
    assert not store.claim_connect_link(state, now=now)  # that flow's state is spent


def test_concurrent_claims_have_one_winner(engine: Engine) -> None:
    token = issue(engine, "acme")
    state = hash_secret(token[::-1])
    results: list[bool] = []
    gate = threading.Barrier(4)

    def claim() -> None:
        gate.wait()
        results.append(TenantStore(engine, "acme").claim_connect_link(state, now=utcnow()))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]


def test_an_expired_or_used_link_starts_no_flow_and_cannot_be_claimed(engine: Engine) -> None:
    token = issue(engine, "acme", expires_in=timedelta(seconds=-1))
    store = TenantStore(engine, "acme")
    link_id = token[4:20]

    started = store.start_connect_flow(link_id, state_hash="s" * 64, verifier_enc="v", now=utcnow())
    assert not started
    assert not store.claim_connect_link(hash_secret(token[::-1]), now=utcnow())


def test_another_customers_store_cannot_claim_or_read_the_link(engine: Engine) -> None:
    token = issue(engine, "acme")
    state = hash_secret(token[::-1])

    assert not TenantStore(engine, "beta").claim_connect_link(state, now=utcnow())
    assert TenantStore(engine, "beta").connect_link_by_state(state) is None
    assert TenantStore(engine, "acme").claim_connect_link(state, now=utcnow())


def test_on_postgres_a_raw_query_sees_no_link(postgres_engine: Engine) -> None:
    issue(postgres_engine, "acme")

    with postgres_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM connect_links")).scalar_one() == 0
