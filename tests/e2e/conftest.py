"""End-to-end fixtures: the sandbox org over real HTTPS, and customers connected to it by JWT.

`sandbox` is one shared org for tests that only read; `fresh_sandbox` a small org of the
test's own. `demo` and `small` are the `demo` customer connected to each, with an empty
SQLite store; `file_store` is a migrated SQLite file that CLI child processes find through
CONNECTOR_DATABASE_URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from connector.config import Settings, get_settings
from connector.crm.salesforce.adapter import SalesforceAdapter
from connector.crm.salesforce.connect import connect_jwt
from connector.crm.salesforce.keys import generate_key_pair
from connector.fieldmap import FieldMap, load_field_map
from connector.runtime import connect_crm
from connector.sandbox import ConnectedApp, SandboxOrg, SandboxServer, SeedConfig
from connector.store import TenantStore, make_engine, migrate
from connector.vault import Vault

CLIENT_ID = "connector-e2e"
USERNAME = "integration@demo.example"


@dataclass
class Sandbox:
    org: SandboxOrg
    server: SandboxServer
    private_key_pem: str


def start_sandbox(state_dir: Path, rows: int) -> tuple[SandboxOrg, SandboxServer, str]:
    org = SandboxOrg.seeded(SeedConfig(seed=7, big_report_rows=rows))
    private_pem, certificate = generate_key_pair("connector-e2e")
    org.register_app(
        ConnectedApp(
            client_id=CLIENT_ID,
            jwt_certificate_pem=certificate,
            pre_authorized_usernames=[USERNAME],
        )
    )
    server = SandboxServer(org, state_dir=state_dir, port=0)
    server.start()
    return org, server, private_pem


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One seeded org (its biggest report has 6,000 rows) shared by tests that only read."""
    org, server, key = start_sandbox(tmp_path_factory.mktemp("sandbox"), rows=6000)
    yield Sandbox(org, server, key)
    server.stop()


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A small org of the test's own, for tests that change CRM data or inject faults."""
    org, server, key = start_sandbox(tmp_path / "sandbox", rows=2500)
    yield Sandbox(org, server, key)
    server.stop()


@pytest.fixture(autouse=True)
def _quiet_sandbox(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sandbox" in request.fixturenames:
        box: Sandbox = request.getfixturevalue("sandbox")
        box.org.clear_faults()


@dataclass
class Customer:
    fm: FieldMap
    store: TenantStore
    settings: Settings
    vault: Vault

    def crm(self, **kwargs: object) -> SalesforceAdapter:
        return connect_crm(self.fm, self.store, self.settings, vault=self.vault, **kwargs)  # type: ignore[arg-type]


def point_at(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make field maps resolve ${CONNECTOR_SANDBOX_URL}/${CONNECTOR_SANDBOX_CA} to `box`."""
    monkeypatch.setenv("CONNECTOR_SANDBOX_URL", box.server.base_url)
    monkeypatch.setenv("CONNECTOR_SANDBOX_CA", str(box.server.ca_path))
    monkeypatch.setenv("CONNECTOR_DEMO_CLIENT_ID", CLIENT_ID)
    if "CONNECTOR_SECRET_KEYS" not in __import__("os").environ:
        monkeypatch.setenv("CONNECTOR_SECRET_KEYS", Fernet.generate_key().decode())
    get_settings.cache_clear()


def connect(box: Sandbox, engine: Engine, customer: str, fm: FieldMap | None = None) -> Customer:
    settings = get_settings()
    fm = fm or load_field_map(customer, settings.field_maps_dir)
    store = TenantStore(engine, customer)
    vault = Vault.from_settings(settings)
    connect_jwt(
        store,
        vault,
        login_url=fm.crm.login_url,
        client_id=CLIENT_ID,
        username=USERNAME,
        private_key_pem=box.private_key_pem,
        audience=fm.crm.audience,
        ca_bundle=fm.crm.ca_bundle,
    )
    return Customer(fm, store, settings, vault)


@pytest.fixture
def demo(sandbox: Sandbox, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Customer:
    """The `demo` customer connected to the shared sandbox, with an empty SQLite store."""
    point_at(sandbox, monkeypatch)
    return connect(sandbox, sqlite_engine, "demo")


@pytest.fixture
def small(
    fresh_sandbox: Sandbox, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Customer:
    """The `demo` customer connected to a sandbox of the test's own, with an empty SQLite store."""
    point_at(fresh_sandbox, monkeypatch)
    return connect(fresh_sandbox, sqlite_engine, "demo")


@pytest.fixture
def file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A migrated SQLite file store, named in CONNECTOR_DATABASE_URL for CLI child processes."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CONNECTOR_DATABASE_URL", url)
    engine = make_engine(url)
    migrate(engine)
    return engine


def no_sleep(_seconds: float) -> None:
    """Back-off and poll waits are skipped in tests; the policy is tested, not the clock."""
