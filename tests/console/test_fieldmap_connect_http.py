"""The field map page and the connect-link action over HTTP (no browser): roles, CSRF, refusals."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from connector.config import get_settings
from connector.crm.salesforce.connect_link import hash_secret
from connector.store import TenantStore
from tests.console.conftest import sign_in_as

PUBLIC = "https://connector.example.com"


@pytest.fixture
def public_url(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(get_settings(), "public_url", PUBLIC)
    return PUBLIC


def test_a_reader_sees_the_map_rendered_but_no_preview_draft_or_link(
    console_client: TestClient,
) -> None:
    sign_in_as(console_client, "read-only")

    page = console_client.get("/console/customers/demo/fieldmap")
    assert page.status_code == 200
    assert "CONTACT_ID" in page.text and "ACCOUNT.NAME" in page.text
    assert "Check against the org" in page.text
    assert "Draft" not in page.text and "Issue connect link" not in page.text
    for path in ("fieldmap/preview", "fieldmap/draft?folder=Call_Lists", "connect-link"):
        assert console_client.get(f"/console/customers/demo/{path}").status_code == 403


def test_an_unknown_customer_or_a_bad_folder_is_refused(console_client: TestClient) -> None:
    sign_in_as(console_client, "operator")

    assert console_client.get("/console/customers/nobody/fieldmap").status_code == 404
    draft = console_client.get("/console/customers/demo/fieldmap/draft?folder=../../etc")
    assert draft.status_code == 400


def test_an_operator_may_not_issue_a_connect_link(console_client: TestClient) -> None:
    token = sign_in_as(console_client, "operator")

    page = console_client.get("/console/customers/demo/fieldmap")
    assert "Issue connect link" not in page.text
    form = {"csrf_token": token, "lifetime": "1 hour", "client_id": "app", "login_url": PUBLIC}
    posted = console_client.post("/console/customers/demo/connect-link", data=form)
    assert posted.status_code == 403


def test_an_admin_issues_a_link_once_confirmed_and_it_is_audited(
    console_client: TestClient, public_url: str
) -> None:
    token = sign_in_as(console_client, "admin", email="ada@example.com")
    confirm = console_client.get("/console/customers/demo/connect-link")
    assert confirm.status_code == 200 and "Confirm: Issue connect link" in confirm.text
    form = {
        "lifetime": "24 hours",
        "client_id": "3MVG9-demo",
        "login_url": "https://login.salesforce.com",
    }

    without_csrf = console_client.post("/console/customers/demo/connect-link", data=form)
    assert without_csrf.status_code == 403
    issued = console_client.post(
        "/console/customers/demo/connect-link", data={**form, "csrf_token": token}
    )

    assert issued.status_code == 200, issued.text
    match = re.search(rf'value="({re.escape(public_url)}/connect/(ccl_[^"]+))"', issued.text)
    assert match, issued.text
    engine = console_client.app.state.engine  # type: ignore[attr-defined]
    store = TenantStore(engine, "demo")
    link = store.connect_link_by_token(hash_secret(match.group(2)))
    assert link is not None and link.created_by == "console:ada@example.com"
    events = [(e.action, e.actor) for e in store.audit_events()]
    assert ("connect_link_issue", "console:ada@example.com") in events
    assert issued.headers["cache-control"] == "no-store"


def test_without_a_public_url_no_link_is_issued(console_client: TestClient) -> None:
    token = sign_in_as(console_client, "admin")
    form = {
        "csrf_token": token,
        "lifetime": "1 hour",
        "client_id": "3MVG9-demo",
        "login_url": "https://login.salesforce.com",
    }

    assert (
        "CONNECTOR_PUBLIC_URL is not set"
        in console_client.get("/console/customers/demo/connect-link").text
    )
    refused = console_client.post("/console/customers/demo/connect-link", data=form)
    assert refused.status_code == 409 and "CONNECTOR_PUBLIC_URL" in refused.text
    engine = console_client.app.state.engine  # type: ignore[attr-defined]
    assert not [e for e in TenantStore(engine, "demo").audit_events() if "connect" in e.action]
