"""Console fixtures: the sandbox as identity provider, the web app served for real, a browser.

- `console_site`: the sandbox org over HTTPS (also the OpenID provider, with a registered
  console app), and the web app with the console mounted, served by uvicorn on a free
  loopback port over a fresh SQLite store. People: `ADMIN`, `OPERATOR` and `READER` are
  sandbox users with those console roles.
- `signed_in(page, site, email)`: signs a browser page in through the sandbox's consent page.
- `browser` / `page`: Debian's Chromium driven by Playwright. Where /usr/bin/chromium is
  missing the browser tests skip, except under CONNECTOR_TEST_REQUIRE_SERVICES=1 (CI), where
  they fail; nothing is ever downloaded.
- `console_client`: a TestClient of an app with the console mounted (no browser, no sandbox
  call), with `sign_in_as(client, role)` to plant a signed-in session.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connector.console.session import COOKIE, PERSON_KEY, SessionMiddleware
from connector.console.settings import ConsoleSettings
from connector.sandbox import ConnectedApp
from connector.web import create_app
from connector.web.settings import WebSettings
from tests.e2e.conftest import Sandbox
from tests.helpers.sandbox import small_sandbox
from tests.helpers.servers import serve_in_thread
from tests.helpers.skip_guard import service_missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CLIENT_ID = "connector-console"
ADMIN = "admin@demo.example"
OPERATOR = "integration@demo.example"
READER = "rep@demo.example"
LOOPBACK = ("127.0.0.1", 50000)
#: The fleet and customer pages poll this often in tests (seconds).
POLL = 2


def console_settings(
    issuer: str = "https://127.0.0.1:1", ca_bundle: Path | None = None, client_secret: str = ""
) -> ConsoleSettings:
    """A full console configuration with fresh secrets and the three test people."""
    return ConsoleSettings(
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret=SecretStr(client_secret or secrets.token_urlsafe(32)),
        session_secret=SecretStr(secrets.token_urlsafe(32)),
        ca_bundle=ca_bundle,
        admins=[ADMIN],
        operators=[OPERATOR],
        readers=[READER],
        poll_seconds=POLL,
    )


@dataclass
class ConsoleSite:
    """The sandbox (identity provider and CRM) and the served web app with its console."""

    sandbox: Sandbox
    engine: Engine
    base_url: str
    settings: ConsoleSettings

    @property
    def console_url(self) -> str:
        return f"{self.base_url}/console"


@pytest.fixture(scope="session")
def console_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One small sandbox org for the console tests; it asks for consent (choose the user)."""
    with small_sandbox(tmp_path_factory.mktemp("console-sandbox")) as box:
        box.org.auto_consent = False
        yield box


SiteFactory = Callable[..., ConsoleSite]


@pytest.fixture
def console_site_factory(console_sandbox: Sandbox, sqlite_engine: Engine) -> Iterator[SiteFactory]:
    """Serve the web app with a console configured by `console_settings(**overrides)`."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> ConsoleSite:
            secret = secrets.token_urlsafe(32)
            settings = console_settings(
                console_sandbox.server.base_url, console_sandbox.server.ca_path, secret
            )
            settings = settings.model_copy(update=overrides)
            app = create_app(sqlite_engine, web_settings=WebSettings(), console_settings=settings)
            base_url = stack.enter_context(serve_in_thread(app))
            console_sandbox.org.register_app(
                ConnectedApp(
                    client_id=CLIENT_ID,
                    client_secret=secret,
                    redirect_uris=[f"{base_url}/console/auth/callback"],
                    name="connector console",
                )
            )
            return ConsoleSite(console_sandbox, sqlite_engine, base_url, settings)

        yield make


@pytest.fixture
def console_site(console_site_factory: SiteFactory) -> ConsoleSite:
    """The web app with the console, served on a free loopback port over a fresh store."""
    return console_site_factory()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser).

    One per test module: Playwright's sync API keeps an event loop running in the main thread
    while it is open, and a later test calling `asyncio.run` would find it there.
    """
    if not CHROMIUM.exists():
        service_missing(
            f"no Chromium at {CHROMIUM} (install Debian's: apt-get install -y chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page.

    The sandbox serves HTTPS with a CA of its own, which the browser does not know: the
    context accepts it (the console itself is plain http on loopback).
    """
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Page, site: ConsoleSite, email: str, next_path: str = "/") -> None:
    """Sign `page` in as the sandbox user `email`, through the sandbox's consent page."""
    page.goto(site.console_url + next_path)
    page.get_by_label("Sandbox user").select_option(email)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{site.console_url}{next_path}*")


# -- without a browser -------------------------------------------------------------------------
@pytest.fixture
def console_client(sqlite_engine: Engine) -> Iterator[TestClient]:
    """A TestClient of the web app with the console mounted (the provider is never called)."""
    settings = console_settings()
    app = create_app(sqlite_engine, web_settings=WebSettings(), console_settings=settings)
    client = TestClient(
        app, raise_server_exceptions=False, client=LOOPBACK, base_url="http://127.0.0.1"
    )
    client.console_settings = settings  # type: ignore[attr-defined]
    with client:
        yield client


def plant_session(client: TestClient, data: dict[str, Any]) -> None:
    """Give `client` a console session cookie holding `data` (signed with the app's secret)."""
    settings: ConsoleSettings = client.console_settings  # type: ignore[attr-defined]
    assert settings.session_secret is not None
    middleware = SessionMiddleware(
        None,  # type: ignore[arg-type]
        secret=settings.session_secret.get_secret_value(),
        max_age=3600,
        path="/console",
    )
    client.cookies.set(COOKIE, middleware.dump(data), domain="127.0.0.1", path="/console")


def sign_in_as(client: TestClient, role: str, email: str = "person@example.com") -> str:
    """Plant a signed-in session with `role`; returns its CSRF token."""
    token = secrets.token_urlsafe(32)
    plant_session(
        client, {PERSON_KEY: {"email": email, "name": "Test Person", "role": role}, "csrf": token}
    )
    return token
