"""jsforce, unmodified and pinned (tests/sandbox/jsforce), works against the sandbox.

A small Node script drives jsforce through identity, query paging, describe, sync and async
report runs and sObject Collections; this test serves it a token and checks each result. It
needs `node` and `npm` (a service skip when absent: skipped locally, a failure in CI) and
installs the locked packages with `npm ci` when they are missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from sandbox_helpers import VERSION, report_id

from connector.sandbox import SandboxOrg, SandboxServer
from tests.conftest import service_missing

PROBE_DIR = Path(__file__).parent / "jsforce"
EXT = "Connector_Activity_Id__c"


def _node_ready() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        service_missing("node and npm are needed for the jsforce client test")
    if (PROBE_DIR / "node_modules" / "jsforce").is_dir():
        return
    installed = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=PROBE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if installed.returncode != 0:
        service_missing(f"npm ci failed for the jsforce probe: {installed.stderr[-500:]}")


def _run_probe(server: SandboxServer, token: str, report: str) -> dict[str, Any]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "NODE_EXTRA_CA_CERTS": str(server.ca_path),
        "SANDBOX_URL": server.base_url,
        "ACCESS_TOKEN": token,
        "API_VERSION": VERSION.lstrip("v"),
        "REPORT_ID": report,
        "EXT_FIELD": EXT,
    }
    done = subprocess.run(
        ["node", "probe.js"],
        cwd=PROBE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: dict[str, Any] = json.loads(done.stdout)
    return results


def test_jsforce_identity_queries_describes_runs_reports_and_writes_collections(
    sandbox_server: SandboxServer, sandbox_org: SandboxOrg, access_token: str
) -> None:
    _node_ready()
    enterprise = report_id(sandbox_org, "Enterprise_Contacts")
    results = _run_probe(sandbox_server, access_token, enterprise)
    failed = {name: r["error"] for name, r in results.items() if not r["ok"]}
    assert failed == {}
    value = {name: r["value"] for name, r in results.items()}
    assert value["identity"] == {
        "user_id": sandbox_org.integration_user_id,
        "organization_id": sandbox_org.organization_id,
    }
    contacts = len(sandbox_org.contacts)
    assert value["query_paging"]["fetched"] == value["query_paging"]["totalSize"] == contacts
    assert value["query_paging"]["pages"] == -(-contacts // 2000) > 1
    assert value["describe"] == {"name": "Contact", "hasEmail": True}
    assert value["report_sync"] == {"rows": 2000, "allData": False}
    assert value["report_async"] == {"status": "Success", "rows": 2000, "listed": True}
    assert value["collections_upsert"] == [{"success": True, "created": True}] * 2
    assert value["collections_retrieve"] == ["Call", "Call"]
    assert value["collections_update"] == [True, True]
    assert value["collections_delete"] == [True, True]
