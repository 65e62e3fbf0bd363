"""Fixtures for the auth tests: a vault, a store with connections, RSA keys, the sandbox org.

Keys and certificates are generated per test run; none is committed. The sandbox is part of
the package: a failure to import it fails the tests that need it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_helpers import KeyPair, Sandbox, make_key_pair
from sqlalchemy.engine import Engine

from connector.store import TenantStore
from connector.vault import Vault


@pytest.fixture(scope="session")
def key_pair() -> KeyPair:
    return make_key_pair()


@pytest.fixture
def vault() -> Vault:
    return Vault([Vault.generate_key()])


@pytest.fixture
def store(sqlite_engine: Engine) -> TenantStore:
    store = TenantStore(sqlite_engine, "acme")
    store.ensure_customer()
    return store


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A seeded sandbox org served over TLS on a free loopback port."""
    from connector.sandbox import SandboxOrg, SandboxServer, SeedConfig

    org = SandboxOrg.seeded(SeedConfig(seed=7, big_report_rows=100))
    server = SandboxServer(org, state_dir=tmp_path / "sandbox", port=0)
    server.start()
    try:
        yield Sandbox(server, org, server.base_url, str(server.ca_path))
    finally:
        server.stop()
