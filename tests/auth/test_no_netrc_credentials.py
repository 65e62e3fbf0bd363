"""Invariant 3 (no passwords), at the HTTP boundary: a login in the user's netrc file never
reaches the CRM, while proxies from the environment still apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from auth_helpers import KeyPair

from connector.crm.salesforce.http_session import CrmSession
from connector.crm.salesforce.oauth_jwt import fetch_jwt_token
from connector.crm.salesforce.session import SalesforceSession

LOGIN = "https://login.salesforce.com"
INSTANCE = "https://acme.my.salesforce.com"
NETRC_PASSWORD = "netrc-password-never-sent"


@pytest.fixture(autouse=True)
def netrc_with_a_default_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A netrc file whose `default` entry matches every host (requests reads the file that
    NETRC names, else ~/.netrc)."""
    path = tmp_path / "netrc"
    path.write_text(f"default login someone@acme.example password {NETRC_PASSWORD}\n")
    path.chmod(0o600)
    monkeypatch.setenv("NETRC", str(path))
    return path


def test_plain_requests_would_send_the_netrc_login() -> None:
    """The hazard itself: without `CrmSession`, requests sends the file's login."""
    with responses.RequestsMock() as http:
        http.get(f"{INSTANCE}/services/data/")
        requests.get(f"{INSTANCE}/services/data/", timeout=5)
        assert http.calls[0].request.headers["Authorization"].startswith("Basic ")


def test_a_token_request_carries_no_authorization_header(key_pair: KeyPair) -> None:
    with responses.RequestsMock() as http:
        call = http.post(
            f"{LOGIN}/services/oauth2/token",
            json={
                "access_token": "00D5g!access",
                "instance_url": INSTANCE,
                "id": f"{LOGIN}/id/00D5g000004XXXXEAA/0055g00000AAAAAAA2",
                "token_type": "Bearer",
            },
        )
        fetch_jwt_token(
            login_url=LOGIN,
            client_id="3MVG9-client",
            username="u@acme.example",
            private_key_pem=key_pair.private_pem,
        )
        assert "Authorization" not in call.calls[0].request.headers


class StaticTokens:
    instance_url = INSTANCE

    def access_token(self) -> str:
        return "00D5g!bearer-token"

    def refresh(self, rejected: str) -> str:
        raise AssertionError("no refresh expected")


def test_an_api_call_carries_the_bearer_token_not_the_netrc_login() -> None:
    with responses.RequestsMock() as http:
        call = http.get(
            f"{INSTANCE}/services/data/v59.0/query/",
            json={"totalSize": 0, "done": True, "records": []},
        )
        session = SalesforceSession(StaticTokens(), customer="acme")
        session.call("query", lambda sf: sf.query("SELECT Id FROM Contact"))
        assert call.calls[0].request.headers["Authorization"] == "Bearer 00D5g!bearer-token"


class RecordingAdapter(requests.adapters.HTTPAdapter):
    """Answers 200 to everything and keeps each request with its proxies and verification."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[requests.PreparedRequest, dict[str, Any]]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append((request, kwargs))
        response = requests.Response()
        response.status_code, response.request, response.url = 200, request, request.url or ""
        response._content = b"{}"
        return response


def recording_session() -> tuple[CrmSession, RecordingAdapter]:
    session, adapter = CrmSession(), RecordingAdapter()
    session.mount("https://", adapter)
    return session, adapter


def test_proxies_still_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.acme.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session, adapter = recording_session()
    session.get(f"{INSTANCE}/services/data/", timeout=5)
    request, sent_with = adapter.sent[0]
    assert sent_with["proxies"]["https"] == "http://proxy.acme.example:3128"
    assert "Authorization" not in request.headers


def test_no_proxy_in_the_environment_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.acme.example:3128")
    monkeypatch.setenv("NO_PROXY", "acme.my.salesforce.com")
    session, adapter = recording_session()
    session.get(f"{INSTANCE}/services/data/", timeout=5)
    assert "https" not in adapter.sent[0][1]["proxies"]


def test_a_ca_bundle_in_the_environment_does_not_replace_the_connectors_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "someone-elses-ca.pem"))
    session, adapter = recording_session()
    session.get(f"{INSTANCE}/services/data/", timeout=5)
    assert adapter.sent[0][1]["verify"] is True  # the session's own, not the file
