"""The console in a real browser: sign in through the sandbox IdP, then use the pages."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.console.conftest import ADMIN, ConsoleSite, sign_in


def test_sign_in_through_the_sandbox_shows_the_fleet(page: Page, console_site: ConsoleSite) -> None:
    sign_in(page, console_site, ADMIN)
    expect(page.get_by_role("heading", name="Fleet")).to_be_visible()
    expect(page.get_by_text("Avery Admin (admin)")).to_be_visible()
    expect(page.get_by_role("link", name="demo", exact=True)).to_be_visible()
