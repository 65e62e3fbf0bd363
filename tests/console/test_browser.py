"""The console in a real browser: sign in through the sandbox IdP, then use the pages.

Few tests, each a whole story. With CONNECTOR_TEST_SCREENSHOTS=DIR they also save the
README's screenshots there (`scripts/screenshots`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from connector.config import get_settings
from connector.schedule.jobs import run_job
from connector.store import TenantStore
from connector.sync.push import record_activities
from tests.console.conftest import ADMIN, OPERATOR, READER, ConsoleSite, sign_in
from tests.e2e.conftest import connect, point_at
from tests.push.conftest import a_call


def snap(page: Page, name: str) -> None:
    """Save a full-page screenshot as DIR/name.png when CONNECTOR_TEST_SCREENSHOTS=DIR."""
    target = os.environ.get("CONNECTOR_TEST_SCREENSHOTS")
    if target:
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


@pytest.fixture
def demo_synced(console_site: ConsoleSite, monkeypatch: pytest.MonkeyPatch) -> TenantStore:
    """`demo` connected to the sandbox and synced once; one activity parked by the CRM."""
    box = console_site.sandbox
    point_at(box, monkeypatch)
    customer = connect(box, console_site.engine, "demo")
    missing = box.org.contacts.ids.id_for(box.org.contacts.generated_count + 50_000)
    record_activities(customer.store, [a_call(missing)])
    outcome = run_job(console_site.engine, get_settings(), "demo")
    assert outcome.status == "succeeded", outcome
    assert customer.store.activity_counts() == {"failed": 1}
    return customer.store


def test_sign_in_see_the_fleet_open_a_customer_pause_resume_and_sign_out(
    page: Page, console_site: ConsoleSite, demo_synced: TenantStore
) -> None:
    sign_in(page, console_site, ADMIN)
    expect(page.get_by_role("heading", name="Fleet")).to_be_visible()
    expect(page.get_by_text("Avery Admin (admin)")).to_be_visible()
    row = page.locator("#fleet-rows tr", has=page.get_by_role("link", name="demo", exact=True))
    expect(row).to_contain_text("active")
    expect(row.locator("td").nth(5)).to_have_text("1")  # the parked activity
    snap(page, "fleet")

    page.get_by_role("link", name="demo", exact=True).click()
    expect(page.get_by_role("heading", name="demo", exact=True)).to_be_visible()
    expect(page.locator("#runs")).to_contain_text("pull")
    expect(page.locator("#parked")).to_contain_text("INVALID_CROSS_REFERENCE_KEY")
    expect(page.locator("figure.chart svg rect.bar-rows").first).to_be_attached()

    page.get_by_role("link", name="Pause").click()
    page.get_by_label("Why").fill("CRM maintenance window")
    page.get_by_role("button", name="Confirm: Pause").click()
    expect(page.get_by_role("status")).to_have_text("Paused.")
    expect(page.locator("#state")).to_have_text("paused")
    expect(page.get_by_text("by console:admin@demo.example")).to_be_visible()

    page.get_by_role("link", name="Resume").click()
    page.get_by_role("button", name="Confirm: Resume").click()
    expect(page.locator("#state")).to_have_text("active")
    actors = {(e.action, e.actor) for e in demo_synced.audit_events()}
    assert ("pause", "console:admin@demo.example") in actors
    assert ("resume", "console:admin@demo.example") in actors

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    page.goto(console_site.console_url + "/customers/demo")
    expect(page.get_by_label("Sandbox user")).to_be_visible()  # back at the IdP


def test_an_operator_retries_a_parked_activity_and_watches_a_full_resync_finish(
    page: Page, console_site: ConsoleSite, demo_synced: TenantStore
) -> None:
    sign_in(page, console_site, OPERATOR, "/customers/demo")
    parked = page.locator("#parked")
    expect(parked).to_contain_text("INVALID_CROSS_REFERENCE_KEY")
    parked.get_by_role("link", name="Retry").click()
    page.get_by_role("button", name="Confirm: Retry").click()
    expect(page.get_by_role("status")).to_have_text("The activity is back in the outbox.")
    expect(page.get_by_role("heading", name="Parked activities")).to_be_visible()
    expect(page.locator("#parked")).to_have_count(0)
    assert demo_synced.activity_counts() == {"pending": 1}

    page.get_by_role("link", name="Full resync").click()
    page.get_by_role("button", name="Confirm: Full resync").click()
    expect(page.locator("#resyncs")).to_contain_text("pending")
    expect(page.locator("#resyncs")).to_contain_text("console")

    outcome = run_job(console_site.engine, get_settings(), "demo")  # the scheduler's tick

    assert outcome.reason == "resync" and outcome.status == "succeeded", outcome
    expect(page.locator("#resyncs td.resync-done")).to_be_visible()  # the page refreshed itself
    expect(page.locator("#runs tbody tr").first).to_contain_text("resync")
    snap(page, "customer")
    actions = {(e.action, e.actor) for e in demo_synced.audit_events()}
    assert ("activity_retry", f"console:{OPERATOR}") in actions
    assert ("resync_request", f"console:{OPERATOR}") in actions


def test_a_reader_reads_without_javascript_by_keyboard_and_is_refused_actions(
    browser: Browser, console_site: ConsoleSite, demo_synced: TenantStore
) -> None:
    context = browser.new_context(ignore_https_errors=True, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, console_site, READER, "/customers/demo")
    expect(page.locator("#parked")).to_contain_text("INVALID_CROSS_REFERENCE_KEY")
    expect(page.locator("#runs")).to_contain_text("pull")
    expect(page.get_by_role("link", name="Pause")).to_have_count(0)
    expect(page.get_by_role("link", name="Retry")).to_have_count(0)

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="connector console")).to_be_focused()

    page.goto(console_site.console_url + "/?state=trouble")  # the filter is a plain GET form
    expect(page.locator("#fleet-rows")).to_contain_text("demo")
    response = page.goto(console_site.console_url + "/customers/demo/confirm/pause")

    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("needs the operator role")
    context.close()
