"""Connect links end to end: the web app under uvicorn, the sandbox org over HTTPS, httpx
following the redirects as a browser would, on SQLite and PostgreSQL."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from connector.config import Settings
from connector.crm.salesforce.connect_link import PREFIX
from connector.fieldmap import parse_field_map_text
from connector.onboarding import IssuedLink, issue_connect_link
from connector.runtime import connect_crm
from connector.sandbox import ConnectedApp, SandboxOrg, SandboxServer, SeedConfig
from connector.store import TenantStore
from connector.store.models import utcnow
from connector.sync.pull import pull
from connector.vault import Vault
from connector.web import create_app
from connector.web.settings import WebSettings
from tests.conftest import REPO
from tests.helpers.key_ring import key_ring  # noqa: F401  (autouse: the pull needs a data key)
from tests.helpers.servers import serve_in_thread

CLIENT_ID = "3MVG9-connect-link"


@dataclass
class World:
    """The sandbox org, the connector's web app and its store, wired together."""

    org: SandboxOrg
    login_url: str
    ca_path: str
    base: str
    engine: Engine
    settings: Settings

    def issue(self, customer: str = "acme", **kwargs: object) -> IssuedLink:
        options: dict[str, object] = {"ttl": timedelta(hours=1), "created_by": "cli:test"}
        options.update(kwargs)
        return issue_connect_link(
            TenantStore(self.engine, customer),
            public_url=self.base,
            login_url=self.login_url,
            client_id=CLIENT_ID,
            ca_bundle=self.ca_path,
            **options,  # type: ignore[arg-type]
        )

    def browser(self, *, follow: bool = True) -> httpx.Client:
        trust = ssl.create_default_context(cafile=self.ca_path)
        return httpx.Client(verify=trust, follow_redirects=follow, timeout=30)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    org = SandboxOrg.seeded(SeedConfig(seed=7, big_report_rows=100))
    sandbox = SandboxServer(org, state_dir=tmp_path / "sandbox", port=0)
    sandbox.start()
    settings = Settings(secret_keys=Fernet.generate_key().decode())
    app = create_app(engine, settings=settings, web_settings=WebSettings())
    try:
        with serve_in_thread(app) as base:
            settings.public_url = base
            org.register_app(
                ConnectedApp(client_id=CLIENT_ID, redirect_uris=[f"{base}/connect/callback"])
            )
            yield World(org, sandbox.base_url, str(sandbox.ca_path), base, engine, settings)
    finally:
        sandbox.stop()


def callback_of(world: World, link: IssuedLink) -> str:
    """Open the link and go on to Salesforce, stopping at the redirect back to the connector."""
    with world.browser(follow=False) as browser:
        started = browser.post(link.url)
        assert started.status_code == 303, started.text
        approved = browser.get(started.headers["location"])
        assert approved.status_code == 302, approved.text
        location = approved.headers["location"]
    assert location.startswith(f"{world.base}/connect/callback?")
    return location


def test_given_a_link_when_the_admin_follows_it_then_the_org_is_connected_once_and_pulls(
    world: World,
) -> None:
    link = world.issue()
    store = TenantStore(world.engine, "acme")

    with world.browser() as browser:
        shown = browser.get(link.url)
        assert shown.status_code == 200
        assert "acme" in shown.text and "Continue to Salesforce" in shown.text
        assert shown.headers["referrer-policy"] == "no-referrer"
        done = browser.post(link.url)
        assert done.status_code == 200, done.text
        assert "Connected" in done.text and world.org.organization_id in done.text
        assert [r.status_code for r in done.history] == [303, 302]

        again = browser.get(link.url)
        assert again.status_code == 410 and "already used" in again.text
        assert browser.post(link.url).status_code == 410

    connection = store.get_connection()
    assert connection is not None and connection.auth == "web"
    assert connection.refresh_token_enc and connection.client_id == CLIENT_ID
    assert connection.organization_id == world.org.organization_id
    used = [e for e in store.audit_events() if e.action == "connect_link_use"]
    assert len(used) == 1 and used[0].actor == f"connect_link:{link.record.link_id}"
    assert '"outcome": "ok"' in (used[0].detail or "")

    fm = parse_field_map_text(
        (REPO / "field_maps" / "demo.yaml").read_text().replace("customer: demo", "customer: acme"),
        env={"CONNECTOR_SANDBOX_URL": world.login_url, "CONNECTOR_SANDBOX_CA": world.ca_path},
    )
    vault = Vault.from_settings(world.settings)
    run = pull(fm, store, connect_crm(fm, store, world.settings, vault=vault))
    assert run.status == "succeeded", run.error
    assert run.prospects_written > 0


def test_two_concurrent_callbacks_connect_once(world: World) -> None:
    link = world.issue()
    callback = callback_of(world, link)
    statuses: list[int] = []
    gate = threading.Barrier(2)

    def follow() -> None:
        with httpx.Client(timeout=30) as browser:
            gate.wait()
            statuses.append(browser.get(callback).status_code)

    threads = [threading.Thread(target=follow) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 410]
    events = TenantStore(world.engine, "acme").audit_events()
    assert [e.action for e in events].count("connect_link_use") == 1


def test_an_expired_link_is_refused(world: World) -> None:
    link = world.issue(now=utcnow() - timedelta(hours=2))

    with world.browser() as browser:
        assert browser.get(link.url).status_code == 410
        refused = browser.post(link.url)
    assert refused.status_code == 410 and "expired" in refused.text
    assert TenantStore(world.engine, "acme").get_connection() is None


@pytest.mark.parametrize(
    "token", [PREFIX + "A" * 43, "not-a-token", PREFIX + "A" * 42 + "!"], ids=str
)
def test_a_wrong_token_is_refused(world: World, token: str) -> None:
    world.issue()

    with world.browser() as browser:
        assert browser.get(f"{world.base}/connect/{token}").status_code == 404
        assert browser.post(f"{world.base}/connect/{token}").status_code == 404


def test_a_callback_with_a_forged_state_is_refused(world: World) -> None:
    world.issue()
    callback = callback_of(world, world.issue())
    forged = callback.replace("state=", "state=x", 1)

    with httpx.Client(timeout=30) as browser:
        refused = browser.get(forged)
    assert refused.status_code == 400 and "not belong" in refused.text
    assert TenantStore(world.engine, "acme").get_connection() is None


def test_a_denied_consent_leaves_the_link_usable(world: World) -> None:
    link = world.issue()
    callback = callback_of(world, link)
    state = parse_qs(urlsplit(callback).query)["state"][0]

    with world.browser() as browser:
        denied = browser.get(
            f"{world.base}/connect/callback",
            params={"error": "access_denied", "error_description": "no", "state": state},
        )
        assert denied.status_code == 400 and "did not grant access" in denied.text
        assert browser.post(link.url).status_code == 200
    assert TenantStore(world.engine, "acme").get_connection() is not None


def test_a_stale_flow_of_the_same_link_is_refused_after_a_new_one_started(world: World) -> None:
    link = world.issue()
    first = callback_of(world, link)
    callback_of(world, link)  # the admin opened the link again

    with httpx.Client(timeout=30) as browser:
        assert browser.get(first).status_code == 400


def test_without_a_public_url_the_flow_does_not_start(world: World) -> None:
    link = world.issue()
    world.settings.public_url = None

    with world.browser() as browser:
        refused = browser.post(link.url)
    assert refused.status_code == 503
    assert TenantStore(world.engine, "acme").get_connection() is None
