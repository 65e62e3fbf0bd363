"""simple-salesforce, unmodified, works against the sandbox with a session it did not log in."""

from __future__ import annotations

import requests
from sandbox_helpers import report_id
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
