#!/usr/bin/env python3
"""Measure pull throughput against the sandbox, next to the raw floor, and print a table.

For each folder size the sandbox runs in its own process (so it does not share a core's GIL
with what is measured) and two measurements run in fresh child processes (so peak RSS is
theirs alone):

- floor: the same report pages fetched over HTTPS with a bare `requests` loop, parsed, and
  inserted into SQLite with one `executemany` per page: no mapping, no checks, no store.
- connector: `connector.sync.pull.pull` into an empty SQLite store, as `connector sync` does.

Usage: .venv/bin/python scripts/bench.py [--sizes 10000 100000 1000000]
Targets: throughput >= half the floor; API calls <= 1 per 2,000 rows + a constant; peak RSS
flat as rows grow.

The sandbox's hourly report-run limit is lifted for the measurement (a 1M-row report is 500
runs, the whole hour of a real org); the table after the measurements gives what the limit
implies in a real org at the default share (scripts/report_runs.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import report_runs  # noqa: E402

CLIENT_ID = "connector-bench"
USERNAME = "integration@demo.example"
REPORT = "Enterprise_Contacts"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_field_map(directory: Path) -> None:
    demo = (REPO / "field_maps" / "demo.yaml").read_text(encoding="utf-8")
    bench = demo.replace("customer: demo", "customer: bench", 1).replace(
        "report_folder: Call_Lists", f"report_folder: Call_Lists\n  reports: [{REPORT}]", 1
    )
    (directory / "bench.yaml").write_text(bench, encoding="utf-8")


def start_sandbox(
    rows: int, work: Path, cert: Path
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    state = work / "sandbox"
    command = [
        sys.executable,
        "-m",
        "connector",
        "sandbox",
        "serve",
        "--port",
        "0",
        "--state-dir",
        str(state),
        "--big-report-rows",
        str(rows),
        "--register-app",
        CLIENT_ID,
        "--jwt-cert",
        str(cert),
    ]
    server = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    info_file = state / "sandbox.json"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"sandbox exited: {server.stderr.read().decode() if server.stderr else ''}"
            )
        if info_file.exists():
            try:
                info = json.loads(info_file.read_text())
            except json.JSONDecodeError:
                info = None
            if info and info.get("base_url"):
                return server, info
        time.sleep(0.2)
    server.kill()
    raise SystemExit("sandbox did not start within 10 minutes")


def child_floor(info: dict[str, Any], key_pem: str, work: Path) -> dict[str, Any]:
    import requests

    from connector.crm.salesforce.oauth_jwt import fetch_jwt_token
    from connector.fieldmap import load_field_map, requested_columns

    fm = load_field_map("bench", work)
    columns = requested_columns(fm)
    token = fetch_jwt_token(
        login_url=info["base_url"],
        client_id=CLIENT_ID,
        username=USERNAME,
        private_key_pem=key_pem,
        ca_bundle=info["ca_path"],
    )
    http = requests.Session()
    http.verify = info["ca_path"]
    http.headers["Authorization"] = f"Bearer {token.access_token}"
    base = f"{info['base_url']}/services/data/v59.0"
    started = time.perf_counter()
    folder = http.get(
        f"{base}/query/",
        params={"q": "SELECT Id FROM Report WHERE DeveloperName = 'Enterprise_Contacts'"},
        verify=info["ca_path"],
    ).json()["records"][0]["Id"]
    db = sqlite3.connect(work / "floor.db")
    db.execute(
        f"CREATE TABLE rows (id TEXT PRIMARY KEY, {', '.join(f'c{i} TEXT' for i in range(len(columns) - 1))})"
    )
    placeholders = ", ".join("?" for _ in columns)
    after, rows, calls = None, 0, 0
    while True:
        filters = (
            []
            if after is None
            else [{"column": columns[0], "operator": "greaterThan", "value": after}]
        )
        body = {
            "reportMetadata": {
                "detailColumns": columns,
                "reportFilters": filters,
                "sortBy": [{"sortColumn": columns[0], "sortOrder": "Asc"}],
            }
        }
        result = http.post(
            f"{base}/analytics/reports/{folder}",
            params={"includeDetails": "true"},
            json=body,
            verify=info["ca_path"],
        ).json()
        calls += 1
        page = [
            tuple(cell.get("value") for cell in r["dataCells"])
            for r in result["factMap"]["T!T"]["rows"]
        ]
        db.executemany(f"INSERT OR REPLACE INTO rows VALUES ({placeholders})", page)
        db.commit()
        rows += len(page)
        if result.get("allData", True) or not page:
            break
        after = page[-1][0]
    elapsed = time.perf_counter() - started
    return {"rows": rows, "seconds": elapsed, "calls": calls + 1, "rss_mb": peak_rss_mb()}


def child_connector(info: dict[str, Any], key_pem: str, work: Path) -> dict[str, Any]:
    from connector.config import get_settings
    from connector.crm.salesforce.connect import connect_jwt
    from connector.fieldmap import load_field_map
    from connector.runtime import connect_crm
    from connector.store import TenantStore, make_engine, migrate
    from connector.sync.pull import pull
    from connector.vault import Vault

    settings = get_settings()
    fm = load_field_map("bench", work)
    engine = make_engine(f"sqlite:///{work / 'connector.db'}")
    migrate(engine)
    store = TenantStore(engine, "bench")
    vault = Vault.from_settings(settings)
    connect_jwt(
        store,
        vault,
        login_url=fm.crm.login_url,
        client_id=CLIENT_ID,
        username=USERNAME,
        private_key_pem=key_pem,
        ca_bundle=fm.crm.ca_bundle,
    )
    crm = connect_crm(fm, store, settings, vault=vault)
    started = time.perf_counter()
    run = pull(fm, store, crm)
    elapsed = time.perf_counter() - started
    return {
        "rows": run.rows_read,
        "seconds": elapsed,
        "calls": run.api_calls,
        "rss_mb": peak_rss_mb(),
        "status": run.status,
        "written": run.prospects_written,
        "rejected": run.rejected,
    }


def run_child(kind: str, work: Path, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--work", str(work)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind} measurement failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(rows: int) -> dict[str, Any]:
    from cryptography.fernet import Fernet

    from connector.crm.salesforce.keys import generate_key_pair

    with tempfile.TemporaryDirectory(prefix="connector-bench-") as tmp:
        work = Path(tmp)
        key_pem, cert = generate_key_pair("connector-bench")
        (work / "key.pem").write_text(key_pem)
        (work / "cert.pem").write_bytes(cert)
        write_field_map(work)
        server, info = start_sandbox(rows, work, work / "cert.pem")
        try:
            env = dict(os.environ)
            env.update(
                {
                    "CONNECTOR_SANDBOX_URL": info["base_url"],
                    "CONNECTOR_SANDBOX_CA": info["ca_path"],
                    "CONNECTOR_DEMO_CLIENT_ID": CLIENT_ID,
                    "CONNECTOR_HOME": str(work / "home"),
                    "CONNECTOR_SECRET_KEYS": Fernet.generate_key().decode(),
                    "CONNECTOR_API_BUDGET_SHARE": "1.0",
                    "CONNECTOR_REPORT_RUN_SHARE": "1.0",
                }
            )
            (work / "info.json").write_text(json.dumps(info))
            lift_report_run_limits(info)
            floor = run_child("floor", work, env)
            connector = run_child("connector", work, env)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"size": rows, "floor": floor, "connector": connector}


def lift_report_run_limits(info: dict[str, Any]) -> None:
    """Let the sandbox run as many reports an hour as the measurement needs."""
    import requests

    lifted = {"hourly_sync_report_runs": 1_000_000, "hourly_async_report_runs": 1_000_000}
    response = requests.patch(
        f"{info['base_url']}/__sandbox/settings", json=lifted, verify=info["ca_path"], timeout=30
    )
    response.raise_for_status()


def print_table(results: list[dict[str, Any]]) -> None:
    print(
        "| report rows | connector rec/s | floor rec/s | ratio | API calls | calls per 1,000 rows | connector peak RSS | floor peak RSS |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        c, f = r["connector"], r["floor"]
        c_rate, f_rate = c["rows"] / c["seconds"], f["rows"] / f["seconds"]
        print(
            f"| {r['size']:,} | {c_rate:,.0f} | {f_rate:,.0f} | {c_rate / f_rate:.2f} | {c['calls']} "
            f"| {1000 * c['calls'] / max(c['rows'], 1):.2f} | {c['rss_mb']:.0f} MB | {f['rss_mb']:.0f} MB |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--child", choices=["floor", "connector"], help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        info = json.loads((args.work / "info.json").read_text())
        key_pem = (args.work / "key.pem").read_text()
        measure_child = child_floor if args.child == "floor" else child_connector
        print(json.dumps(measure_child(info, key_pem, args.work)))
        return
    results = []
    for size in args.sizes:
        print(f"measuring {size:,} rows ...", file=sys.stderr, flush=True)
        results.append(measure(size))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print_table(results)
    print()
    report_runs.print_table(args.sizes)


if __name__ == "__main__":
    main()
