"""simple-salesforce, unmodified, works against the sandbox: with our token, or logging in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from sandbox_helpers import JWT_CLIENT_ID, USERNAME, KeyPair, report_id
from simple_salesforce import Salesforce
from simple_salesforce.util import Usage

from connector.sandbox import SandboxOrg, SandboxServer


def test_simple_salesforce_queries_describes_runs_reports_and_reads_limits(
    http: requests.Session,
    sandbox_server: SandboxServer,
    sandbox_org: SandboxOrg,
    access_token: str,
) -> None:
    sf = Salesforce(
        instance_url=sandbox_server.base_url,
        session_id=access_token,
        session=http,
        object_pairs_hook=dict,
    )
    contacts = sf.query_all("SELECT Id, Email FROM Contact")
    assert contacts["totalSize"] == len(sandbox_org.contacts)
    assert len({r["Id"] for r in contacts["records"]}) == contacts["totalSize"]
    describe = sf.Contact.describe()
    assert "Email" in {f["name"] for f in describe["fields"]}
    enterprise = report_id(sandbox_org, "Enterprise_Contacts")
    run = sf.restful(f"analytics/reports/{enterprise}", params={"includeDetails": "true"})
    assert run["factMap"]["T!T"]["aggregates"][0]["value"] == 6000
    assert (
        sf.restful(f"analytics/reports/{enterprise}/describe")["reportMetadata"]["id"] == enterprise
    )
    limits = sf.limits()
    assert "DailyApiRequests" in limits
    usage = sf.api_usage["api-usage"]
    assert isinstance(usage, Usage) and usage.total == 15000 and usage.used == sandbox_org.api_usage


class _LoginHostToSandbox(HTTPAdapter):
    """Route ``https://login.salesforce.com`` to the sandbox, as a hosts-file entry would."""

    def __init__(self, sandbox_url: str) -> None:
        super().__init__()
        self.sandbox_url = sandbox_url

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert request.url is not None
        request.url = request.url.replace(LOGIN_HOST, self.sandbox_url, 1)
        return super().send(request, **kwargs)


LOGIN_HOST = "https://login.salesforce.com"


def test_simple_salesforce_logs_in_itself_with_its_own_jwt_bearer_flow(
    http: requests.Session,
    sandbox_server: SandboxServer,
    sandbox_org: SandboxOrg,
    key_pair: KeyPair,
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "server.key"
    key_file.write_bytes(key_pair.private_pem)
    http.mount(LOGIN_HOST, _LoginHostToSandbox(sandbox_server.base_url))
    sf = Salesforce(
        username=USERNAME,
        consumer_key=JWT_CLIENT_ID,
        privatekey_file=str(key_file),
        domain="login",
        session=http,
        object_pairs_hook=dict,
    )
    assert sf.base_url.startswith(f"{sandbox_server.base_url}/services/data/")
    assert sf.query("SELECT Id FROM User")["totalSize"] == len(sandbox_org.users)
    [token_call] = [e for e in sandbox_org.request_log if e.path == "/services/oauth2/token"][-1:]
    assert token_call.status == 200
