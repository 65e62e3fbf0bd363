"""The console over HTTP without a browser: sessions, CSRF, roles, refusals, cookie flags."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from connector.console.session import BORN_KEY, COOKIE, PERSON_KEY
from connector.console.sso import _safe_next
from connector.store import TenantStore, make_engine
from connector.web import create_app
from connector.web.settings import WebSettings
from tests.console.conftest import LOOPBACK, console_settings, plant_session, sign_in_as
from tests.web.conftest import connect_customer


@pytest.fixture
def acme(sqlite_engine: Engine) -> TenantStore:
    connect_customer(sqlite_engine, "acme")
    store = TenantStore(sqlite_engine, "acme")
    store.ensure_customer()
    return store


def test_the_console_is_absent_unless_configured(sqlite_engine: Engine) -> None:
    client = TestClient(create_app(sqlite_engine, web_settings=WebSettings()), client=LOOPBACK)

    assert client.get("/console/", follow_redirects=False).status_code == 404
    assert client.get("/console/login", follow_redirects=False).status_code == 404


def test_a_visitor_is_sent_to_sign_in_and_back(console_client: TestClient) -> None:
    response = console_client.get("/console/customers/acme?x=1", follow_redirects=False)

    assert response.status_code == 303
    target = "/console/login?next=%2Fconsole%2Fcustomers%2Facme%3Fx%3D1"
    assert response.headers["location"] == target


def test_a_poll_without_a_session_redirects_the_whole_page(console_client: TestClient) -> None:
    response = console_client.get("/console/fleet/rows", headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/console/login"


def test_a_tampered_cookie_is_no_session(console_client: TestClient) -> None:
    sign_in_as(console_client, "admin")
    value = console_client.cookies.get(COOKIE)
    assert value is not None
    console_client.cookies.clear()
    console_client.cookies.set(COOKIE, "x" + value, domain="127.0.0.1", path="/console")

    assert console_client.get("/console/", follow_redirects=False).status_code == 303


def test_a_cookie_signed_with_another_secret_is_no_session(console_client: TestClient) -> None:
    other = TestClient(console_client.app, client=LOOPBACK, base_url="http://127.0.0.1")
    other.console_settings = console_settings()  # type: ignore[attr-defined]
    sign_in_as(other, "admin")
    console_client.cookies.set(
        COOKIE, str(other.cookies.get(COOKIE)), domain="127.0.0.1", path="/console"
    )

    assert console_client.get("/console/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("base_url", "secure"),
    [
        ("http://127.0.0.1", False),
        ("http://localhost:8000", False),
        ("https://console.example.com", True),
        ("http://console.example.com", True),
    ],
)
def test_the_session_cookie_is_httponly_lax_and_secure_except_on_loopback_http(
    sqlite_engine: Engine, base_url: str, secure: bool
) -> None:
    app = create_app(sqlite_engine, web_settings=WebSettings(), console_settings=console_settings())
    client = TestClient(app, client=LOOPBACK, base_url=base_url)

    response = client.get("/console/signed-out")

    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    flags = [part.strip() for part in cookie.split(";")]
    assert "HttpOnly" in flags and "SameSite=Lax" in flags and "Path=/console" in flags
    assert ("Secure" in flags) is secure


def test_pages_carry_security_headers(console_client: TestClient) -> None:
    sign_in_as(console_client, "read-only")

    response = console_client.get("/console/")

    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert 'src="/console/static/htmx-2.0.11.min.js"' in response.text
    assert "cdn" not in response.text.lower()


def test_every_form_carries_the_sessions_csrf_token(
    console_client: TestClient, acme: TenantStore
) -> None:
    token = sign_in_as(console_client, "operator")

    page = console_client.get("/console/customers/acme/confirm/pause")

    assert page.status_code == 200
    assert f'name="csrf_token" value="{token}"' in page.text
    assert page.text.count("<form") == page.text.count('name="csrf_token"')


@pytest.mark.parametrize("sent", [None, "", "wrong-token-" + "x" * 30])
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    console_client: TestClient, acme: TenantStore, sent: str | None
) -> None:
    sign_in_as(console_client, "operator")
    form = {"reason": "maintenance"}
    if sent is not None:
        form["csrf_token"] = sent

    response = console_client.post("/console/customers/acme/actions/pause", data=form)

    assert response.status_code == 403
    assert "did not come from this console" in response.text
    customer = acme.get_customer()
    assert customer is not None and customer.status == "active"


def test_the_csrf_token_may_come_as_htmx_header(
    console_client: TestClient, acme: TenantStore
) -> None:
    token = sign_in_as(console_client, "operator")

    response = console_client.post(
        "/console/customers/acme/actions/pause",
        data={"reason": "maintenance"},
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )

    assert response.status_code == 303
    customer = acme.get_customer()
    assert customer is not None and customer.status == "paused"


def test_an_operator_pauses_and_the_audit_names_the_person(
    console_client: TestClient, acme: TenantStore
) -> None:
    token = sign_in_as(console_client, "operator", email="ops@example.com")

    response = console_client.post(
        "/console/customers/acme/actions/pause",
        data={"reason": "maintenance", "csrf_token": token},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/console/customers/acme"
    event = acme.last_audit_event("pause")
    assert event is not None and event.actor == "console:ops@example.com"
    page = console_client.get("/console/customers/acme")
    assert "Paused." in page.text and "by console:ops@example.com" in page.text


@pytest.mark.parametrize("action", ["pause", "resume", "sync", "resync"])
def test_a_reader_may_not_act(console_client: TestClient, acme: TenantStore, action: str) -> None:
    token = sign_in_as(console_client, "read-only")

    confirm = console_client.get(f"/console/customers/acme/confirm/{action}")
    posted = console_client.post(
        f"/console/customers/acme/actions/{action}",
        data={"reason": "x", "csrf_token": token},
    )

    assert confirm.status_code == 403 and posted.status_code == 403
    assert "needs the operator role" in posted.text
    assert acme.audit_events() == []
    assert acme.pending_resyncs() == []


def test_a_session_with_an_unknown_role_may_not_even_read(console_client: TestClient) -> None:
    sign_in_as(console_client, "superuser")

    assert console_client.get("/console/").status_code == 403


@pytest.mark.parametrize("customer", ["nope", "Bad..Id", "x" * 80])
def test_an_unknown_customer_is_a_404(console_client: TestClient, customer: str) -> None:
    token = sign_in_as(console_client, "admin")

    page = console_client.get(f"/console/customers/{customer}")
    action = console_client.post(
        f"/console/customers/{customer}/actions/resync", data={"csrf_token": token}
    )

    assert page.status_code == 404 and action.status_code == 404
    assert "There is no such customer." in page.text


def test_an_unknown_action_is_a_404(console_client: TestClient, acme: TenantStore) -> None:
    token = sign_in_as(console_client, "admin")

    assert console_client.get("/console/customers/acme/confirm/erase").status_code == 404
    posted = console_client.post(
        "/console/customers/acme/actions/erase", data={"csrf_token": token}
    )
    assert posted.status_code == 404


def test_sync_now_makes_the_customer_due_and_resync_records_one_request(
    console_client: TestClient, acme: TenantStore
) -> None:
    token = sign_in_as(console_client, "operator")

    for action in ("sync", "resync", "resync"):
        response = console_client.post(
            f"/console/customers/acme/actions/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 200

    assert acme.schedule_state().next_due_at is not None
    pending = acme.pending_resyncs()
    assert len(pending) == 1 and pending[0].source == "console"
    assert "A resync was already pending" in response.text
    assert [e.action for e in acme.audit_events()].count("resync_request") == 2


def test_a_paused_customer_is_not_synced_on_request(
    console_client: TestClient, acme: TenantStore
) -> None:
    token = sign_in_as(console_client, "operator")
    acme.set_customer_status("paused", "maintenance")

    response = console_client.post(
        "/console/customers/acme/actions/resync", data={"csrf_token": token}
    )

    assert response.status_code == 409
    assert "resume it first" in response.text
    assert acme.pending_resyncs() == []


def test_retrying_an_activity_that_is_not_parked_is_refused(
    console_client: TestClient, acme: TenantStore
) -> None:
    token = sign_in_as(console_client, "operator")

    response = console_client.post(
        "/console/customers/acme/actions/retry",
        data={"csrf_token": token, "activity": "no-such-activity"},
    )

    assert response.status_code == 409
    assert acme.audit_events() == []


def test_pausing_needs_a_reason(console_client: TestClient, acme: TenantStore) -> None:
    token = sign_in_as(console_client, "operator")

    response = console_client.post(
        "/console/customers/acme/actions/pause", data={"csrf_token": token, "reason": "  "}
    )

    assert response.status_code == 409
    customer = acme.get_customer()
    assert customer is not None and customer.status == "active"


def test_sign_out_needs_the_csrf_token_and_clears_the_cookie(console_client: TestClient) -> None:
    token = sign_in_as(console_client, "admin")

    refused = console_client.post("/console/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert console_client.get("/console/", follow_redirects=False).status_code == 200

    done = console_client.post(
        "/console/logout", data={"csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    assert console_client.get("/console/", follow_redirects=False).status_code == 303


def test_a_planted_session_without_a_person_is_signed_out(console_client: TestClient) -> None:
    plant_session(console_client, {"csrf": secrets.token_urlsafe(32)})

    assert console_client.get("/console/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/console/customers/acme", "/console/customers/acme"),
        ("https://evil.example/console/", "/console/"),
        ("//evil.example/console/", "/console/"),
        ("/console\\..\\x", "/console/"),
        ("/console/../metrics", "/console/"),
        ("/console/\r\nSet-Cookie:x", "/console/"),
        ("/other", "/console/"),
        (None, "/console/"),
    ],
)
def test_sign_in_returns_only_inside_the_console(value: str | None, expected: str) -> None:
    assert _safe_next(value, "/console") == expected


def test_the_fleet_filter_and_fragment(console_client: TestClient, sqlite_engine: Engine) -> None:
    for name in ("acme", "globex"):
        connect_customer(sqlite_engine, name)
        TenantStore(sqlite_engine, name).ensure_customer()
    TenantStore(sqlite_engine, "globex").set_customer_status("paused", "maintenance")
    sign_in_as(console_client, "read-only")

    everyone = console_client.get("/console/")
    paused = console_client.get("/console/fleet/rows", params={"state": "paused"})
    named = console_client.get("/console/", params={"q": "acm"})

    assert 'href="/console/customers/acme"' in everyone.text
    assert everyone.text.index("globex") < everyone.text.index('"/console/customers/acme"')
    assert paused.text.lstrip().startswith("<tbody") and "globex" in paused.text
    assert "/console/customers/acme" not in paused.text
    assert "/console/customers/acme" in named.text and "globex" not in named.text
    assert 'hx-trigger="every 2s"' in paused.text


def test_every_action_and_page_works_on_both_stores(engine: Engine) -> None:
    connect_customer(engine, "acme")
    store = TenantStore(engine, "acme")
    store.ensure_customer()
    settings = console_settings()
    app = create_app(engine, web_settings=WebSettings(), console_settings=settings)
    client = TestClient(app, client=LOOPBACK, base_url="http://127.0.0.1")
    client.console_settings = settings  # type: ignore[attr-defined]
    token = sign_in_as(client, "operator", email="ops@example.com")

    for action, form in [
        ("pause", {"reason": "maintenance"}),
        ("resume", {}),
        ("sync", {}),
        ("resync", {}),
    ]:
        response = client.post(
            f"/console/customers/acme/actions/{action}", data={**form, "csrf_token": token}
        )
        assert response.status_code == 200, (action, response.text)

    fleet = client.get("/console/")
    page = client.get("/console/customers/acme")
    live = client.get("/console/customers/acme/live")

    assert "/console/customers/acme" in fleet.text
    assert page.status_code == 200 and 'class="resync-pending"' in page.text
    assert live.text.lstrip().startswith('<div id="live"')
    assert store.schedule_state().pending_resyncs == 1
    assert {e.action for e in store.audit_events()} == {
        "pause",
        "resume",
        "sync_now",
        "resync_request",
    }
    assert {e.actor for e in store.audit_events()} == {"console:ops@example.com"}


@pytest.mark.parametrize("path", ["/console/", "/console/customers/acme/confirm/pause"])
def test_every_field_has_a_label_and_the_page_a_language(
    console_client: TestClient, acme: TenantStore, path: str
) -> None:
    sign_in_as(console_client, "operator")

    html = console_client.get(path).text

    fields = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
    visible = [field for field in fields if 'type="hidden"' not in field]
    assert visible
    for field in visible:
        found = re.search(r'\bid="([^"]+)"', field)
        assert found is not None, field
        assert f'<label for="{found.group(1)}">' in html, field
    assert '<html lang="en">' in html


def test_a_session_ends_its_hours_after_it_began_however_often_it_was_re_signed(
    console_client: TestClient,
) -> None:
    person = {"email": "a@example.com", "name": "A", "role": "admin"}
    hours = console_client.console_settings.session_hours  # type: ignore[attr-defined]
    plant_session(console_client, {PERSON_KEY: person, BORN_KEY: time.time() - hours * 3600 - 5})
    assert console_client.get("/console/", follow_redirects=False).status_code == 303

    plant_session(console_client, {PERSON_KEY: person, BORN_KEY: time.time() - hours * 3600 + 60})
    assert console_client.get("/console/", follow_redirects=False).status_code == 200


def test_a_malformed_query_is_an_html_400(console_client: TestClient) -> None:
    sign_in_as(console_client, "read-only")

    response = console_client.get("/console/", params={"q": "x" * 65})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "That request was malformed." in response.text


def test_a_failing_store_is_a_503_page_without_a_traceback(tmp_path: Path) -> None:
    settings = console_settings()
    engine = make_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    app = create_app(engine, web_settings=WebSettings(), console_settings=settings)
    client = TestClient(
        app, raise_server_exceptions=False, client=LOOPBACK, base_url="http://127.0.0.1"
    )
    client.console_settings = settings  # type: ignore[attr-defined]
    sign_in_as(client, "read-only")

    response = client.get("/console/")

    assert response.status_code == 503
    assert "The store could not be read" in response.text
    assert "Traceback" not in response.text
