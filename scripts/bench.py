#!/usr/bin/env python3
"""Measure the pull's client CPU per row next to a hand-written script's, and print a table.

For each report size and each store, the sandbox runs in its own process (so what is measured
does not share its interpreter), and two measurements run in fresh child processes (so their
CPU time and peak RSS are theirs alone):

- baseline: a hand-written simple-salesforce script: `query_all` of the same Contact fields the
  demo map names, upserted 2,000 at a time into a table of the same kind (customer id + record
  id as the key) in the same store, with no mapping, checks or bookkeeping.
- connector: `connector.sync.pull.pull` into an empty store, as `connector sync` does.

The yardstick is client CPU per row (user + system time of the measured process, divided by
the rows it stored): it does not depend on how fast the sandbox produces pages.

On a machine with two or more CPUs, the sandbox is pinned to the last CPU and the measured
children to the others, so the sandbox's own work (it builds every page in Python) does not
compete with what is measured. Unpinned, on a 2-CPU virtual machine, the two compete, and the
measured CPU time swells with it: most for the connector, whose prefetch overlaps the sandbox
building the next page with the mapping and storing of the current one (a 10,000-row pull
measured 46-50 µs a row unpinned and 29-37 pinned, in the same minutes). `--no-pin` measures
the old way.

Stores: `sqlite` (a file in a temporary directory) and `postgres` (a private database created
next to CONNECTOR_DATABASE_URL, or postgresql://postgres@127.0.0.1:5432/test, and dropped
afterwards).

Usage: .venv/bin/python scripts/bench.py [--sizes 10000 100000 1000000] [--stores sqlite postgres]
                                         [--rounds N]
       .venv/bin/python scripts/bench.py --quick      # 10,000 rows on SQLite: about a minute

Each size and store is measured in rounds (the baseline, then the connector, each time in a
fresh store): by default 9 up to 10,000 rows, 5 up to 100,000 and 3 above, more where a round
is cheap and its ratio varies most. The table gives each side's median CPU per row and
median rate, the range of the rounds' ratios, the connector's rate on PostgreSQL against
SQLite's, and the load average at the start and the end: a shared machine's speed drifts
between runs. At 10,000 rows a pull mostly waits for the sandbox to build its five pages,
so the rates there say more about the sandbox than about the store.
Targets: connector CPU per row within 2x the baseline's; PostgreSQL at >= 0.7x SQLite's rate;
API calls about 1 per 2,000 rows plus a constant; peak RSS flat as rows grow.

The sandbox's hourly report-run limit is lifted for the measurement (a 1M-row report is 500
runs, the whole hour of a real org); the table after the measurements gives what the limit
implies in a real org at the default share (scripts/report_runs.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import report_runs  # noqa: E402

CLIENT_ID = "connector-bench"
USERNAME = "integration@demo.example"
REPORT = "Enterprise_Contacts"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_field_map(directory: Path) -> None:
    demo = (REPO / "field_maps" / "demo.yaml").read_text(encoding="utf-8")
    bench = demo.replace("customer: demo", "customer: bench", 1).replace(
        "report_folder: Call_Lists", f"report_folder: Call_Lists\n  reports: [{REPORT}]", 1
    )
    (directory / "bench.yaml").write_text(bench, encoding="utf-8")


#: (measured children's CPUs, the sandbox's CPUs), or None to leave every process unpinned.
PINNING: tuple[set[int], set[int]] | None = None


def cpu_split() -> tuple[set[int], set[int]] | None:
    """The sandbox on the last CPU this process may use, the measured children on the rest;
    None with fewer than two CPUs (or where CPU affinity cannot be set)."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return set(cpus[:-1]), {cpus[-1]}


def pinned_to(cpus: set[int] | None) -> Any:
    """A `preexec_fn` that pins the new process (and the threads it starts) to `cpus`."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


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
    server = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=pinned_to(PINNING[1] if PINNING else None),
    )
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


def baseline_table_sql(dialect: str) -> str:
    columns = ", ".join(f"{name} TEXT" for name in BASELINE_FIELDS)
    return (
        f"CREATE TABLE baseline (customer_id TEXT NOT NULL, crm_id TEXT NOT NULL, {columns}, "
        "PRIMARY KEY (customer_id, crm_id))"
    )


#: The demo map's fields, as the Contact fields a hand-written script would select.
BASELINE_SOQL = (
    "SELECT Id, FirstName, LastName, Email, Phone, Title, Account.Name, MailingCountry FROM Contact"
)
BASELINE_FIELDS = ("first_name", "last_name", "email", "phone", "title", "company", "country")


def child_baseline(info: dict[str, Any], key_pem: str, work: Path, url: str) -> dict[str, Any]:
    """A hand-written simple-salesforce script: query_all the same columns, upsert them."""
    import requests
    from simple_salesforce import Salesforce
    from sqlalchemy import create_engine, text

    from connector.crm.salesforce.oauth_jwt import fetch_jwt_token
    from connector.store.engine import normalize_url

    token = fetch_jwt_token(
        login_url=info["base_url"],
        client_id=CLIENT_ID,
        username=USERNAME,
        private_key_pem=key_pem,
        ca_bundle=info["ca_path"],
    )
    http = requests.Session()
    http.verify = info["ca_path"]
    http.trust_env = False  # else REQUESTS_CA_BUNDLE would override the sandbox's CA
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(text(baseline_table_sql(engine.dialect.name)))
    names = ", ".join(BASELINE_FIELDS)
    marks = ", ".join(f":{name}" for name in BASELINE_FIELDS)
    updates = ", ".join(f"{name} = excluded.{name}" for name in BASELINE_FIELDS)
    upsert = text(
        f"INSERT INTO baseline (customer_id, crm_id, {names}) VALUES ('bench', :crm_id, {marks}) "
        f"ON CONFLICT (customer_id, crm_id) DO UPDATE SET {updates}"
    )
    counts = count_requests()
    started, cpu = time.perf_counter(), time.process_time()
    sf = Salesforce(
        instance_url=token.instance_url,
        session_id=token.access_token,
        session=http,
        version="59.0",
    )
    rows, batch = 0, []
    with engine.connect() as conn:
        for record in sf.query_all_iter(BASELINE_SOQL):
            account = record.get("Account") or {}
            batch.append(
                {
                    "crm_id": record["Id"],
                    "first_name": record.get("FirstName"),
                    "last_name": record.get("LastName"),
                    "email": record.get("Email"),
                    "phone": record.get("Phone"),
                    "title": record.get("Title"),
                    "company": account.get("Name"),
                    "country": record.get("MailingCountry"),
                }
            )
            if len(batch) == 2000:
                conn.execute(upsert, batch)
                conn.commit()
                rows, batch = rows + len(batch), []
        if batch:
            conn.execute(upsert, batch)
            conn.commit()
            rows += len(batch)
    return {
        "rows": rows,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "calls": counts["calls"],
        "rss_mb": peak_rss_mb(),
    }


def count_requests() -> dict[str, int]:
    """Count this process's HTTP requests to the CRM (all, and report runs) from now on."""
    import requests

    counts = {"calls": 0, "report_runs": 0}
    send = requests.Session.send

    def counting_send(self: requests.Session, request: Any, **kwargs: Any) -> Any:
        counts["calls"] += 1
        if request.method == "POST" and "/analytics/reports/" in (request.url or ""):
            counts["report_runs"] += 1
        return send(self, request, **kwargs)

    requests.Session.send = counting_send  # type: ignore[method-assign]
    return counts


def connect_bench_crm(key_pem: str, work: Path, url: str) -> tuple[Any, Any]:
    """The bench customer's field map and a CRM connection through its store at `url`."""
    from connector.config import get_settings
    from connector.crm.salesforce.connect import connect_jwt
    from connector.fieldmap import load_field_map
    from connector.runtime import connect_crm
    from connector.vault import Vault

    settings = get_settings()
    fm = load_field_map("bench", work)
    store = store_for(url)
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
    return fm, connect_crm(fm, store, settings, vault=vault)


def store_for(url: str) -> Any:
    from connector.store import TenantStore, make_engine

    engine = make_engine(url, tenant_key=os.environ.get("CONNECTOR_TENANT_KEY"))
    return TenantStore(engine, "bench")


def child_connector(info: dict[str, Any], key_pem: str, work: Path, url: str) -> dict[str, Any]:
    """`pull` into an empty store; counts the report runs it asks the sandbox for."""
    from connector.sync.pull import pull

    counts = count_requests()
    fm, crm = connect_bench_crm(key_pem, work, url)
    store = store_for(url)
    started, cpu = time.perf_counter(), time.process_time()
    run = pull(fm, store, crm)
    return {
        "rows": run.rows_read,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "calls": run.api_calls,
        "report_runs": counts["report_runs"],
        "rss_mb": peak_rss_mb(),
        "status": run.status,
        "written": run.prospects_written,
        "rejected": run.rejected,
    }


#: Whether to measure the stages of the connector's work too (`--stages`).
STAGES = False
#: Rounds per size and store (`--rounds`); None: `default_rounds` of the size.
ROUNDS: int | None = None


def default_rounds(rows: int) -> int:
    """Rounds for a size when `--rounds` is not given: more where a round is cheap and its
    ratio varies most (a 10,000-row round takes seconds, a 1,000,000-row one minutes)."""
    if rows <= 10_000:
        return 9
    return 5 if rows <= 100_000 else 3


#: Where `--profile` writes the connector child's py-spy samples (collapsed stacks), or None.
PROFILE_DIR: Path | None = None


def child_stages(info: dict[str, Any], key_pem: str, work: Path, url: str) -> dict[str, Any]:
    """Where the connector's CPU goes: fetching and decoding the report alone, then mapping
    (compiled field map) on the sandbox's rows and on the same rows with every phone number
    distinct (the sandbox repeats numbers, a real org mostly does not)."""
    from connector.fieldmap import load_field_map, requested_columns
    from connector.fieldmap.apply import compile_map
    from connector.sync.frozen_heap import frozen_heap

    fm, crm = connect_bench_crm(key_pem, work, url)
    report = next(
        r for r in crm.list_reports(fm.source.report_folder) if r.developer_name == REPORT
    )
    kept: list[dict[str, Any]] = []
    with frozen_heap():  # as in a pull
        rows, cpu = 0, time.process_time()
        for page in crm.iter_report_pages(report, fm.prospect.id, requested_columns(fm)):
            rows += len(page.rows)
            if len(kept) < MAPPED_SAMPLE:
                kept.extend(page.rows[: MAPPED_SAMPLE - len(kept)])
        fetch = time.process_time() - cpu
        mapped = {}
        for label, sample in (("sandbox", kept), ("unique_phones", with_unique_phones(kept))):
            mapper = compile_map(load_field_map("bench", work))  # a fresh map: nothing kept
            cpu = time.process_time()
            for row in sample:
                mapper(row)
            mapped[label] = (time.process_time() - cpu) / max(len(sample), 1)
    return {"rows": rows, "fetch_cpu": fetch, "map_cpu_per_row": mapped}


#: Rows mapped twice by `child_stages` (sandbox phones, then distinct phones).
MAPPED_SAMPLE = 20_000


def with_unique_phones(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` with a distinct, valid US number in each (area codes of real cities)."""
    areas = (201, 212, 303, 312, 415, 512, 617, 646, 702, 718, 805, 917)
    return [
        {**row, "PHONE1": f"+1 {areas[n % 12]} {200 + n // 12 % 700} {n // 8400 % 10000:04d}"}
        for n, row in enumerate(rows)
    ]


def run_child(
    kind: str, work: Path, url: str, env: dict[str, str], label: str = ""
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--work", str(work), "--url", url]
    if PROFILE_DIR is not None and kind == "connector":
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
        out_file = PROFILE_DIR / f"connector-{label}.txt"
        command = [
            py_spy(),
            "record",
            "--format",
            "raw",
            "--threads",
            "--rate",
            "250",
            "--output",
            str(out_file),
            "--",
            *command,
        ]
    out = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=pinned_to(PINNING[0] if PINNING else None),
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind} measurement failed:\n{out.stderr}")
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])  # py-spy, when profiling, prints lines of its own


@contextmanager
def store_url(
    store: str, work: Path, name: str, *, as_owner: bool = False
) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh store at the latest schema, and the environment a child needs to open it.

    PostgreSQL as in production: a private database migrated by the owner (the configured
    URL's role), used through a login role of its own under row-level security; both are
    dropped afterwards. With `as_owner`, the child connects as the owner instead (the baseline
    script creates its own table, as a hand-written script would).
    """
    from connector.store import make_engine, migrate

    if store == "sqlite":
        url = f"sqlite:///{work / (name + '.db')}"
        migrate(make_engine(url))
        try:
            yield url, {}
        finally:
            for path in work.glob(f"{name}.db*"):  # the database and its WAL files
                path.unlink()
        return
    import secrets

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from connector.store.engine import normalize_url

    base = normalize_url(os.environ.get("CONNECTOR_DATABASE_URL") or DEFAULT_POSTGRES)
    suffix = uuid.uuid4().hex[:8]
    database, role, key = f"bench_{name}_{suffix}", f"bench_app_{suffix}", secrets.token_hex(32)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    owner_url = make_url(base).set(database=database)
    try:
        owner = make_engine(owner_url.render_as_string(hide_password=False))
        migrate(owner, app_role=role, tenant_key=key)
        owner.dispose()
        app_url = owner_url if as_owner else owner_url.set(username=role, password=None)
        yield app_url.render_as_string(hide_password=False), {"CONNECTOR_TENANT_KEY": key}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def measure(rows: int, stores: list[str]) -> list[dict[str, Any]]:
    from cryptography.fernet import Fernet

    from connector.crm.salesforce.keys import generate_key_pair

    results = []
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
            for store in stores:
                rounds = []
                for number in range(ROUNDS or default_rounds(rows)):
                    with store_url(store, work, "baseline", as_owner=True) as (url, extra):
                        baseline = run_child("baseline", work, url, {**env, **extra})
                    with store_url(store, work, "connector") as (url, extra):
                        connector = run_child(
                            "connector", work, url, {**env, **extra}, f"{rows}-{store}-{number}"
                        )
                    rounds.append({"baseline": baseline, "connector": connector})
                    print(json.dumps(rounds[-1]), file=sys.stderr, flush=True)
                results.append({"size": rows, "store": store, **median_round(rounds)})
            if STAGES:
                with store_url("sqlite", work, "stages") as (url, extra):
                    stages = run_child("stages", work, url, {**env, **extra})
                for result in results:
                    result["stages"] = stages
                print(json.dumps(stages), file=sys.stderr, flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return results


def cpu_per_row(measured: dict[str, Any]) -> float:
    """Client CPU seconds per stored row of one measurement."""
    return float(measured["cpu"]) / max(int(measured["rows"]), 1)


def median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one size and store as one result: each side's round of median CPU per
    row, each side's median rate (rows per second, over all rounds: the round of median CPU
    need not be the one of median wall time), and the range of the per-round CPU ratios
    (baseline and connector of a round ran one after the other, so a ratio compares like
    with like on a machine whose speed drifts)."""

    def median(side: str) -> dict[str, Any]:
        return middle(sorted((round_[side] for round_ in rounds), key=cpu_per_row))

    def median_rate(side: str) -> float:
        return middle(sorted(rate(round_[side]) for round_ in rounds))

    ratios = [cpu_per_row(r["connector"]) / cpu_per_row(r["baseline"]) for r in rounds]
    return {
        "baseline": median("baseline"),
        "connector": median("connector"),
        "rates": {"baseline": median_rate("baseline"), "connector": median_rate("connector")},
        "rounds": len(rounds),
        "ratios": [min(ratios), max(ratios)],
    }


def middle(ordered: list[Any]) -> Any:
    """The median of sorted values (the upper one of the middle two for an even count)."""
    return ordered[len(ordered) // 2]


def rate(measured: dict[str, Any]) -> float:
    """Stored rows per second of wall time of one measurement."""
    return int(measured["rows"]) / max(float(measured["seconds"]), 1e-9)


def py_spy() -> str:
    """The py-spy executable beside this interpreter or on PATH (a profiling tool, not a
    dependency of the project: install it into the environment to use `--profile`)."""
    import shutil

    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit("--profile needs py-spy in the environment (pip install py-spy)")
    return found


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
        "| rows | store | connector rec/s | connector CPU µs/row | baseline rec/s "
        "| baseline CPU µs/row | CPU ratio | ratio per round | API calls | report runs "
        "| connector peak RSS |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for r in results:
        c, b = r["connector"], r["baseline"]
        c_cpu, b_cpu = 1e6 * cpu_per_row(c), 1e6 * cpu_per_row(b)
        low, high = r["ratios"]
        rates = r["rates"]
        print(
            f"| {r['size']:,} | {r['store']} | {rates['connector']:,.0f} | {c_cpu:.0f} "
            f"| {rates['baseline']:,.0f} | {b_cpu:.0f} | {c_cpu / b_cpu:.2f} "
            f"| {low:.2f}-{high:.2f} ({r['rounds']}) "
            f"| {c['calls']} | {c['report_runs']} | {c['rss_mb']:.0f} MB |"
        )


def print_store_rates(results: list[dict[str, Any]]) -> None:
    """The connector's median rate on PostgreSQL against SQLite's, per size measured on both."""
    by_size: dict[int, dict[str, float]] = {}
    for r in results:
        by_size.setdefault(r["size"], {})[r["store"]] = r["rates"]["connector"]
    lines = [
        f"| {size:,} | {rates['postgres'] / rates['sqlite']:.2f} |"
        for size, rates in by_size.items()
        if {"postgres", "sqlite"} <= rates.keys()
    ]
    if lines:
        print("\n| rows | connector rate, PostgreSQL / SQLite (medians) |\n| ---: | ---: |")
        print("\n".join(lines))


def pinning_text(pinning: tuple[set[int], set[int]] | None) -> str:
    if pinning is None:
        return "not pinned (the sandbox and the measured processes share every CPU)"
    measured, sandbox = (", ".join(map(str, sorted(cpus))) for cpus in pinning)
    return f"measured processes on {measured}, the sandbox on {sandbox}"


def load_average() -> str:
    """The machine's 1-minute load average, for reading the figures beside it."""
    return f"{os.getloadavg()[0]:.1f}"


def print_stages(results: list[dict[str, Any]]) -> None:
    print(
        "| rows | fetch + decode CPU µs/row | map µs/row (sandbox phones) "
        "| map µs/row (distinct phones) |"
    )
    print("| ---: | ---: | ---: | ---: |")
    seen = set()
    for r in results:
        stages = r.get("stages")
        if stages is None or r["size"] in seen:
            continue
        seen.add(r["size"])
        per_row = stages["map_cpu_per_row"]
        print(
            f"| {r['size']:,} | {1e6 * stages['fetch_cpu'] / max(stages['rows'], 1):.0f} "
            f"| {1e6 * per_row['sandbox']:.1f} | {1e6 * per_row['unique_phones']:.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--stores", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--quick", action="store_true", help="10,000 rows on SQLite only.")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="Rounds per size and store, each the baseline then the connector; the table "
        "gives each side's median and the range of the rounds' ratios (default: 9 up to "
        "10,000 rows, 5 up to 100,000, 3 above).",
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="Also measure fetching alone and mapping alone (with distinct phone numbers too).",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="Sample the connector child with py-spy; collapsed stacks go to DIR.",
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="Leave the sandbox and the measured processes on any CPU (the default pins the "
        "sandbox to the last CPU and the measured processes to the others).",
    )
    parser.add_argument(
        "--child", choices=["baseline", "connector", "stages"], help=argparse.SUPPRESS
    )
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        info = json.loads((args.work / "info.json").read_text())
        key_pem = (args.work / "key.pem").read_text()
        children = {
            "baseline": child_baseline,
            "connector": child_connector,
            "stages": child_stages,
        }
        measure_child = children[args.child]
        print(json.dumps(measure_child(info, key_pem, args.work, args.url)))
        return
    global PINNING, PROFILE_DIR, ROUNDS, STAGES
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    PROFILE_DIR, ROUNDS, STAGES = args.profile, args.rounds, args.stages
    PINNING = None if args.no_pin else cpu_split()
    sizes, stores = ([10_000], ["sqlite"]) if args.quick else (args.sizes, args.stores)
    started_load = load_average()
    results = []
    for size in sizes:
        print(f"measuring {size:,} rows on {', '.join(stores)} ...", file=sys.stderr, flush=True)
        results.extend(measure(size, stores))
    print_table(results)
    print_store_rates(results)
    print(f"\nload average (1 min): {started_load} at the start, {load_average()} at the end")
    print(f"CPUs: {pinning_text(PINNING)}")
    print()
    if STAGES:
        print_stages(results)
        print()
    report_runs.print_table(args.sizes)


if __name__ == "__main__":
    main()
