"""Sandbox fixtures: one seeded org served over real HTTPS for the session, plus helpers.

Keys are generated here on the fly (never committed). Tests that change org-wide settings
(faults, limits, token lifetime) restore them through the autouse `_reset_org` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sandbox_helpers import (
    JWT_CLIENT_ID,
    REDIRECT_URI,
    ROTATING_CLIENT_ID,
    USERNAME,
    VERSION,
    WEB_CLIENT_ID,
    WEB_SECRET,
    KeyPair,
    jwt_token,
    make_key_pair,
)

from connector.sandbox import ConnectedApp, SandboxOrg, SandboxServer, SeedConfig


@pytest.fixture(scope="session")
def key_pair() -> KeyPair:
    return make_key_pair()


@pytest.fixture(scope="session")
def sandbox_org(key_pair: KeyPair) -> SandboxOrg:
    org = SandboxOrg.seeded(SeedConfig(seed=7, big_report_rows=6000))
    org.register_app(
        ConnectedApp(
            client_id=JWT_CLIENT_ID,
            jwt_certificate_pem=key_pair.certificate_pem,
            pre_authorized_usernames=[USERNAME],
        )
    )
    org.register_app(
        ConnectedApp(
            client_id=WEB_CLIENT_ID, client_secret=WEB_SECRET, redirect_uris=[REDIRECT_URI]
        )
    )
    org.register_app(
        ConnectedApp(
            client_id=ROTATING_CLIENT_ID, redirect_uris=[REDIRECT_URI], rotate_refresh_tokens=True
        )
    )
    return org


@pytest.fixture(scope="session")
def sandbox_server(
    sandbox_org: SandboxOrg, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxServer]:
    server = SandboxServer(sandbox_org, state_dir=tmp_path_factory.mktemp("sandbox"), port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reset_org(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sandbox_org" in request.fixturenames:
        org: SandboxOrg = request.getfixturevalue("sandbox_org")
        org.clear_faults()
        org.access_token_ttl = None
        org.auto_consent = True
        org.api_daily_max = 15_000
        org.report_limits.reset()
        org.report_instances.clear()


@pytest.fixture
def http(sandbox_server: SandboxServer) -> Iterator[requests.Session]:
    """A requests session that trusts the sandbox CA."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override `verify`
    session.verify = str(sandbox_server.ca_path)
    yield session
    session.close()


@pytest.fixture
def access_token(http: requests.Session, sandbox_server: SandboxServer, key_pair: KeyPair) -> str:
    response = jwt_token(http, sandbox_server.base_url, key_pair.private_pem)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def api(http: requests.Session, access_token: str) -> requests.Session:
    """An authenticated session (Bearer header set)."""
    http.headers["Authorization"] = f"Bearer {access_token}"
    return http


@pytest.fixture
def rest(sandbox_server: SandboxServer) -> str:
    """Base of the REST API."""
    return f"{sandbox_server.base_url}/services/data/{VERSION}"
