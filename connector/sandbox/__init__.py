"""A local, Salesforce-compatible HTTPS server for demos, development and end-to-end tests.

    from connector.sandbox import SandboxServer, SandboxOrg, SeedConfig, ConnectedApp, FaultRule

    org = SandboxOrg.seeded(SeedConfig(seed=7, big_report_rows=6000))
    with SandboxServer(org, state_dir=tmp_path) as server:
        requests.get(server.base_url + "/services/data/", verify=server.ca_path)

It speaks OAuth (JWT bearer, web server + PKCE, refresh with rotation, revoke, identity), REST
(describe, limits, SOQL query with paging), the Analytics API (report describe and runs with
the 2,000-row cap), sObject Collections upserts, and sends outbound messages. Seeded faults,
API-usage limits and a request log make failure modes testable. It imports nothing from the
rest of `connector`.
"""

from __future__ import annotations

from connector.sandbox.faults import FaultRule
from connector.sandbox.org import SandboxOrg
from connector.sandbox.request_log import RequestLogEntry
from connector.sandbox.seed import SeedConfig
from connector.sandbox.server import SandboxServer, create_app
from connector.sandbox.tokens import ConnectedApp

__all__ = [
    "ConnectedApp",
    "FaultRule",
    "RequestLogEntry",
    "SandboxOrg",
    "SandboxServer",
    "SeedConfig",
    "create_app",
]
