"""Sign-in through the sandbox as OpenID provider, over plain HTTP (no browser).

The flow runs as a browser would run it: the console's redirect, the sandbox's consent form,
the callback; each refusal is checked to start no session.
"""

from __future__ import annotations

import ssl
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.console.conftest import ADMIN, READER, ConsoleSite, SiteFactory


def trust(site: ConsoleSite) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(site.sandbox.server.ca_path))


def consent(
    site: ConsoleSite, client: httpx.Client, email: str, login: str = "/console/login"
) -> httpx.Response:
    """Start at `login`, approve as `email` at the sandbox; the callback's response."""
    start = client.get(f"{site.base_url}{login}")
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    assert authorize.startswith(f"{site.sandbox.server.base_url}/services/oauth2/authorize?")
    params = {key: values[0] for key, values in parse_qs(urlsplit(authorize).query).items()}
    assert params["code_challenge_method"] == "S256" and params["state"]
    assert params.get("nonce") or "openid" not in site.settings.scopes.split()
    with httpx.Client(verify=trust(site)) as idp:
        page = idp.get(authorize)
        assert "password" not in page.text.lower()
        approved = idp.post(
            f"{site.sandbox.server.base_url}/services/oauth2/authorize",
            data={**params, "login_hint": email, "decision": "approve"},
        )
    assert approved.status_code == 302, approved.text
    return client.get(approved.headers["location"])


def test_an_allowlisted_person_is_signed_in_with_their_role(console_site: ConsoleSite) -> None:
    with httpx.Client() as client:
        done = consent(console_site, client, READER)
        fleet = client.get(f"{console_site.console_url}/")

    assert done.status_code == 303 and done.headers["location"] == "/console/"
    assert fleet.status_code == 200
    assert 'Riley Rep <span class="role">(read-only)</span>' in fleet.text


def test_a_person_without_a_role_is_not_signed_in(console_site_factory: SiteFactory) -> None:
    site = console_site_factory(readers=[])
    with httpx.Client() as client:
        done = consent(site, client, READER)
        after = client.get(f"{site.console_url}/")

    assert done.status_code == 403
    assert "no console role" in done.text
    assert after.status_code == 303  # still not signed in


def test_a_role_may_come_from_a_claim(console_site_factory: SiteFactory) -> None:
    site = console_site_factory(readers=[], role_claim="nickname")
    with httpx.Client() as client:
        done = consent(site, client, ADMIN)  # the sandbox's admin user has nickname "admin"
        fleet = client.get(f"{site.console_url}/")

    assert done.status_code == 303
    assert "(admin)" in fleet.text


def test_a_provider_without_an_id_token_signs_nobody_in(
    console_site_factory: SiteFactory,
) -> None:
    site = console_site_factory(scopes="email profile")  # bypasses the settings' own check
    with httpx.Client() as client:
        done = consent(site, client, ADMIN)

    assert done.status_code == 401
    assert "Sign-in failed" in done.text


def test_a_callback_with_a_foreign_state_is_refused(console_site: ConsoleSite) -> None:
    with httpx.Client() as client:
        client.get(f"{console_site.console_url}/login")
        forged = client.get(
            f"{console_site.console_url}/auth/callback", params={"code": "x", "state": "forged"}
        )
        after = client.get(f"{console_site.console_url}/")

    assert forged.status_code == 401
    assert after.status_code == 303


def test_a_denied_consent_signs_nobody_in(console_site: ConsoleSite) -> None:
    with httpx.Client() as client:
        start = client.get(f"{console_site.console_url}/login")
        params = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
        with httpx.Client(verify=trust(console_site)) as idp:
            denied = idp.post(
                f"{console_site.sandbox.server.base_url}/services/oauth2/authorize",
                data={**params, "decision": "deny"},
            )
        back = client.get(denied.headers["location"])

    assert back.status_code == 401


def test_an_unreachable_provider_is_a_502_not_a_traceback(
    console_site_factory: SiteFactory,
) -> None:
    site = console_site_factory(issuer="https://127.0.0.1:1")
    with httpx.Client() as client:
        response = client.get(f"{site.console_url}/login")

    assert response.status_code == 502
    assert "could not be reached" in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("next_path", ["/customers/demo", "/?state=paused"])
def test_sign_in_returns_to_the_page_asked_for(console_site: ConsoleSite, next_path: str) -> None:
    with httpx.Client() as client:
        first = client.get(f"{console_site.console_url}{next_path}")
        assert first.status_code == 303
        done = consent(console_site, client, ADMIN, first.headers["location"])

    assert done.headers["location"] == f"/console{next_path}"
