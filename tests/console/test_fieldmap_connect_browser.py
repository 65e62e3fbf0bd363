"""In a real browser: draft a field map from the org, check and preview it; issue a connect
link and follow it end to end through the sandbox's consent page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from connector.config import get_settings
from connector.crm.salesforce.connect import connect_jwt
from connector.sandbox import ConnectedApp
from connector.schedule.jobs import run_job
from connector.store import TenantStore
from connector.vault import Vault
from tests.conftest import REPO
from tests.console.conftest import ADMIN, OPERATOR, ConsoleSite, SiteFactory, sign_in
from tests.console.test_browser import snap
from tests.e2e.conftest import CLIENT_ID, USERNAME, Sandbox, point_at

LINK_APP = "connector-connect-link"


@pytest.fixture
def maps(console_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A field maps directory of the test's own (demo's map only), the sandbox's settings."""
    target = tmp_path / "maps"
    target.mkdir()
    for name in ("demo.yaml", "example.yaml", "fieldmap.schema.json"):
        shutil.copy(REPO / "field_maps" / name, target / name)
    monkeypatch.setenv("CONNECTOR_FIELD_MAPS_DIR", str(target))
    point_at(console_sandbox, monkeypatch)
    return target


@pytest.fixture
def site(maps: Path, console_site_factory: SiteFactory) -> ConsoleSite:
    """The console served with CONNECTOR_PUBLIC_URL naming its own address."""
    served = console_site_factory()
    get_settings().public_url = served.base_url
    return served


def test_draft_a_field_map_then_check_and_preview_it(
    page: Page, site: ConsoleSite, maps: Path
) -> None:
    box = site.sandbox
    connect_jwt(
        TenantStore(site.engine, "acme"),
        Vault.from_settings(get_settings()),
        login_url=box.server.base_url,
        client_id=CLIENT_ID,
        username=USERNAME,
        private_key_pem=box.private_key_pem,
        ca_bundle=str(box.server.ca_path),
    )
    sign_in(page, site, OPERATOR, "/customers/acme/fieldmap")
    expect(page.locator("#no-map")).to_contain_text("no field map yet")

    page.get_by_label("Report folder").fill("Call_Lists")
    page.get_by_role("button", name="Draft").click()
    expect(page.get_by_role("heading", name="Draft field map: acme")).to_be_visible()
    draft = page.get_by_label("The draft").input_value()
    assert "id: CONTACT_ID" in draft and "- Webinar_Attendees" in draft
    assert "# TODO" not in draft
    with page.expect_download() as download:
        page.get_by_role("link", name="Download acme.yaml").click()
    saved = Path(download.value.path()).read_text()
    assert saved == draft
    assert not (maps / "acme.yaml").exists()  # nothing is saved by the console

    (maps / "acme.yaml").write_text(saved)
    page.goto(f"{site.console_url}/customers/acme/fieldmap")
    expect(page.locator("#fields")).to_contain_text("ACCOUNT.NAME")
    page.get_by_role("link", name="Check against the org").click()
    expect(page.locator("#check-title")).to_contain_text("passes")
    expect(page.locator("#check-Renewals_Q3")).to_contain_text("prospect.fields.email")
    page.get_by_role("link", name="Preview the first rows").click()
    expect(page.locator("#preview-rows tbody tr")).to_have_count(10)
    expect(page.locator("#preview-rows tbody tr").first).to_contain_text("ok")
    snap(page, "fieldmap")


def test_issue_a_connect_link_and_follow_it_end_to_end(page: Page, site: ConsoleSite) -> None:
    box = site.sandbox
    box.org.register_app(
        ConnectedApp(client_id=LINK_APP, redirect_uris=[f"{site.base_url}/connect/callback"])
    )
    sign_in(page, site, ADMIN, "/customers/demo/fieldmap")
    page.get_by_role("link", name="Issue connect link").click()
    page.get_by_label("Works for").select_option("1 hour")
    page.get_by_label("Connected app's consumer key").fill(LINK_APP)
    page.get_by_role("button", name="Confirm: Issue connect link").click()
    link = page.get_by_label("Connect link").input_value()
    assert link.startswith(f"{site.base_url}/connect/ccl_")

    page.goto(link)
    expect(page.get_by_role("heading", name="Connect demo to the connector")).to_be_visible()
    page.get_by_role("button", name="Continue to Salesforce").click()
    page.get_by_label("Sandbox user").select_option(USERNAME)
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("heading", name="Connected")).to_be_visible()
    expect(page.get_by_text(box.org.organization_id)).to_be_visible()

    store = TenantStore(site.engine, "demo")
    connection = store.get_connection()
    assert connection is not None and connection.auth == "web"
    assert connection.client_id == LINK_APP
    actions = {(e.action, e.actor) for e in store.audit_events()}
    assert ("connect_link_issue", f"console:{ADMIN}") in actions
    assert run_job(site.engine, get_settings(), "demo").status == "succeeded"

    page.goto(link)
    expect(page.get_by_role("heading", name="Link already used")).to_be_visible()
