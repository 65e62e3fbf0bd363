"""The request log records what clients asked, never their secrets; admin endpoints."""

from __future__ import annotations

import requests
from sandbox_helpers import KeyPair, jwt_token

from connector.sandbox import SandboxOrg, SandboxServer


def test_the_log_records_method_path_query_json_body_and_status(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    sandbox_org.clear_request_log()
    api.get(f"{rest}/query/", params={"q": "SELECT Id FROM Lead LIMIT 1"})
    rid = next(iter(sandbox_org.reports))
    api.post(
        f"{rest}/analytics/reports/{rid}", json={"reportMetadata": {"detailColumns": ["EMAIL"]}}
    )
    query, run = sandbox_org.request_log
    assert (query.method, query.path, query.query, query.status) == (
        "GET",
        "/services/data/v59.0/query/",
        {"q": "SELECT Id FROM Lead LIMIT 1"},
        200,
    )
    assert run.method == "POST" and run.json_body == {
        "reportMetadata": {"detailColumns": ["EMAIL"]}
    }
    assert run.at >= query.at


def test_form_posts_log_keys_only_and_no_token_ever_reaches_the_log(
    http: requests.Session,
    sandbox_server: SandboxServer,
    sandbox_org: SandboxOrg,
    key_pair: KeyPair,
) -> None:
    sandbox_org.clear_request_log()
    token = jwt_token(http, sandbox_server.base_url, key_pair.private_pem).json()["access_token"]
    http.get(
        f"{sandbox_server.base_url}/services/data/v59.0/limits/",
        headers={"Authorization": f"Bearer {token}"},
    )
    http.get(f"{sandbox_server.base_url}/services/oauth2/userinfo", params={"oauth_token": token})
    entries = sandbox_org.request_log
    assert entries[0].form_keys == ["grant_type", "assertion"]
    assert entries[0].json_body is None
    dumped = repr(entries) + repr([e.to_json() for e in entries])
    assert token not in dumped and "eyJ" not in dumped


def test_admin_endpoints_are_not_logged_and_expose_the_log(
    http: requests.Session, sandbox_server: SandboxServer, sandbox_org: SandboxOrg
) -> None:
    base = sandbox_server.base_url
    assert http.delete(f"{base}/__sandbox/requests").status_code == 204
    http.get(f"{base}/services/data/")
    entries = http.get(f"{base}/__sandbox/requests").json()
    assert [e["path"] for e in entries] == ["/services/data/"]
    assert entries[0]["at"].endswith("Z")


def test_admin_faults_apps_settings_and_tasks(
    http: requests.Session,
    sandbox_server: SandboxServer,
    sandbox_org: SandboxOrg,
    key_pair: KeyPair,
) -> None:
    base = sandbox_server.base_url
    rules = [{"endpoint": "/limits", "rate": 1.0, "error_code": "UNABLE_TO_LOCK_ROW", "times": 1}]
    assert http.put(f"{base}/__sandbox/faults", json=rules).json()[0]["status"] == 400
    assert sandbox_org.faults[0].error_code == "UNABLE_TO_LOCK_ROW"
    assert http.put(f"{base}/__sandbox/faults", json=[{"bogus": 1}]).status_code == 400
    app = {
        "client_id": "admin-registered",
        "jwt_certificate_pem": key_pair.certificate_pem.decode(),
        "pre_authorized_usernames": ["integration@demo.example"],
    }
    assert http.post(f"{base}/__sandbox/apps", json=app).status_code == 201
    assert jwt_token(http, base, key_pair.private_pem, issuer="admin-registered").ok
    state = http.patch(f"{base}/__sandbox/settings", json={"api_daily_max": 99999}).json()
    assert state["api_daily_max"] == 99999 and sandbox_org.api_daily_max == 99999
    assert http.post(f"{base}/__sandbox/expire-tokens").status_code == 204
    assert isinstance(http.get(f"{base}/__sandbox/tasks").json(), list)
