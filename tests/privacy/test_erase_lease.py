"""An erasure never overlaps a running sync or push: it takes the customer's lease first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from privacy_builders import NOW, rows_of, seed_customer
from sqlalchemy.engine import Engine

from connector.errors import StoreError
from connector.privacy.erase import erase_customer, request_erasure
from connector.store import TenantStore


def no_revoke(engine: Engine, customer: str) -> None:
    return None


def test_an_erasure_waits_while_a_worker_holds_the_lease(sqlite_engine: Engine) -> None:
    seed_customer(sqlite_engine, "acme")
    request_erasure(sqlite_engine, "acme", "cli:ops", now=NOW)
    store = TenantStore(sqlite_engine, "acme")
    token = store.acquire_lease("worker-1", timedelta(minutes=5))
    assert token is not None

    with pytest.raises(StoreError, match="running"):
        erase_customer(sqlite_engine, "acme", NOW, revoke=no_revoke)
    assert sum(n for table, n in rows_of(sqlite_engine, "acme").items() if table != "erasures") > 0

    assert store.release_lease("worker-1", token)
    erase_customer(sqlite_engine, "acme", NOW, revoke=no_revoke)
    assert sum(n for table, n in rows_of(sqlite_engine, "acme").items() if table != "erasures") == 0
