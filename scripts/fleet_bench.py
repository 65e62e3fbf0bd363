#!/usr/bin/env python3
"""Measure the distributed path: N customers on PostgreSQL, scheduled through Celery on Redis.

For each worker count, a fresh private PostgreSQL database (migrated by the owner, used
through an app role under row-level security, as in production) gets N connected customers
with the demo field map, all served by one sandbox org whose call list has `--rows` rows.
Then two scheduler passes run with the Celery executor (`runner.run_pass`, as
`connector scheduler run --executor celery` does; every customer is enqueued twice:
at-least-once delivery, as after a redelivery or two schedulers), and W `solo` Celery
workers drain the queue. The bench waits until every customer has a finished
pull and prints, per worker count:

- syncs per minute and rows per second in total (first sync started .. last finished);
- worker CPU µs per row (user + system time of the worker processes from /proc, less what
  they spent starting up);
- p50/p95 schedule lag: from the first scheduler pass (once every worker answers a ping) to
  the start of the customer's pull;
- API calls per customer (from the runs);
- the lease check: every worker logs when it has taken a customer's lease and when it starts
  to release it (within the time it held it, and around all the work it did under it); two
  such spans of one customer that overlap, or a customer pulled more than once, is a
  violation. It must print 0;
- task errors: the tasks that raised, from the workers' logs (a failed task may leave its
  customer due, and its duplicate delivery then pulls it again). It must print 0 as well.

Usage: .venv/bin/python scripts/fleet_bench.py [--customers 50] [--rows 5000] [--workers 1 2 4]
       .venv/bin/python scripts/fleet_bench.py --customers 10 --rows 2000   # a quick run
PostgreSQL: CONNECTOR_DATABASE_URL (a role that may create databases), else the local test
server; Redis: --broker (default redis://127.0.0.1:6379/15; the bench's queue is deleted after).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import bench  # noqa: E402

DEFAULT_BROKER = "redis://127.0.0.1:6379/15"


def customer_ids(count: int) -> list[str]:
    return [f"fleet-{n:03d}" for n in range(count)]


def write_field_maps(directory: Path, customers: list[str]) -> None:
    demo = (REPO / "field_maps" / "demo.yaml").read_text(encoding="utf-8")
    directory.mkdir(parents=True, exist_ok=True)
    for customer in customers:
        text = demo.replace("customer: demo", f"customer: {customer}", 1).replace(
            "report_folder: Call_Lists",
            f"report_folder: Call_Lists\n  reports: [{bench.REPORT}]",
            1,
        )
        (directory / f"{customer}.yaml").write_text(text, encoding="utf-8")


# children -------------------------------------------------------------------------------


def child_setup(key_pem: str, customers: list[str]) -> None:
    """Connect every customer (JWT) in the store the environment names."""
    from connector.config import get_settings
    from connector.crm.salesforce.connect import connect_jwt
    from connector.fieldmap import load_field_map
    from connector.store import TenantStore
    from connector.store.engine import open_engine
    from connector.vault import Vault

    settings = get_settings()
    engine = open_engine(settings.resolved_database_url(), tenant_key=settings.tenant_key)
    vault = Vault.from_settings(settings)
    for customer in customers:
        fm = load_field_map(customer, settings.field_maps_dir)
        store = TenantStore(engine, customer)
        store.ensure_customer()
        connect_jwt(
            store,
            vault,
            login_url=fm.crm.login_url,
            client_id=bench.CLIENT_ID,
            username=bench.USERNAME,
            private_key_pem=key_pem,
            ca_bundle=fm.crm.ca_bundle,
        )


def child_worker(lease_log: Path, name: str) -> None:
    """A solo Celery worker whose lease takes and releases are appended to `lease_log`."""
    from connector.schedule import leases

    def note(event: str, customer: str, token: int | None = None) -> None:
        line = json.dumps(
            {
                "t": time.time(),
                "pid": os.getpid(),
                "event": event,
                "customer": customer,
                "token": token,
            }
        )
        with lease_log.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    acquire = leases.acquire

    def logged_acquire(store: Any, holder: str, ttl: Any) -> int | None:
        token = acquire(store, holder, ttl)
        if token is not None:
            note("took", store.customer_id, token)
        return token

    stop = leases.HeldLease.stop

    def logged_stop(self: Any) -> None:
        note("releasing", self.store.customer_id, self.token)
        stop(self)

    leases.acquire = logged_acquire
    leases.HeldLease.stop = logged_stop  # type: ignore[method-assign]
    from connector.schedule.celery_app import app

    app.worker_main(
        ["worker", "--pool=solo", "--concurrency=1", "--loglevel=WARNING", f"--hostname={name}"]
    )


def child_schedule() -> None:
    """Two scheduler passes with the Celery executor (every customer enqueued twice, as
    at-least-once delivery may); prints when the first began."""
    from connector.config import get_settings
    from connector.schedule.celery_app import CeleryExecutor
    from connector.schedule.runner import run_pass
    from connector.store.engine import open_engine

    settings = get_settings()
    engine = open_engine(settings.resolved_database_url(), tenant_key=settings.tenant_key)
    executor = CeleryExecutor()
    scheduled = time.time()
    for _ in range(2):
        run_pass(engine, settings, executor)
    print(json.dumps({"scheduled": scheduled}))


# the measurement ------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pull_runs(owner_url: str) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(owner_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT customer_id, status, started_at, finished_at, rows_read, api_calls "
                    "FROM sync_runs WHERE kind = 'pull'"
                )
            )
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def lease_violations(lease_log: Path, runs: list[dict[str, Any]]) -> list[str]:
    """Customers held by two workers at once (by the lease log) or pulled more than once."""
    problems = []
    held: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    took: dict[tuple[int, str], float] = {}
    for line in lease_log.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        key = (entry["pid"], entry["customer"])
        if entry["event"] == "took":
            took[key] = entry["t"]
        elif entry["event"] == "releasing":
            held[entry["customer"]].append((took.pop(key), entry["t"], entry["pid"]))
    for customer, spans in held.items():
        spans.sort()
        for (_, end, pid), (start, _, other) in itertools.pairwise(spans):
            if start < end:
                problems.append(f"{customer}: held by pid {pid} and pid {other} at once")
    pulls: dict[str, int] = defaultdict(int)
    for run in runs:
        pulls[run["customer_id"]] += 1
    problems += [f"{c}: pulled {n} times" for c, n in pulls.items() if n > 1]
    return problems


def worker_names(count: int, queue: str) -> list[str]:
    return [f"{queue}-{n}@localhost" for n in range(count)]


@contextmanager
def started_workers(names: list[str], env: dict[str, str], lease_log: Path) -> Iterator[list[Any]]:
    """W worker processes; each writes its log next to `lease_log` (`worker_log`)."""
    logs = [worker_log(lease_log, name).open("w", encoding="utf-8") for name in names]
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child",
                "worker",
                "--lease-log",
                str(lease_log),
                "--name",
                name,
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for name, log in zip(names, logs, strict=True)
    ]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=30)
        for log in logs:
            log.close()


def worker_log(lease_log: Path, name: str) -> Path:
    return lease_log.with_name(f"{lease_log.stem}-{name}.log")


def task_errors(lease_log: Path, names: list[str]) -> list[str]:
    """The tasks that raised (Celery logs "raised unexpected: <error>"), as logged."""
    errors = []
    for name in names:
        for line in worker_log(lease_log, name).read_text(encoding="utf-8").splitlines():
            _, found, error = line.partition(" raised unexpected: ")
            if found:
                errors.append(f"{name}: {error[:200]}")
    return errors


def measure_round(
    workers: int, customers: list[str], work: Path, env: dict[str, str], timeout: float
) -> dict[str, Any]:
    queue = f"connector-fleet-{uuid.uuid4().hex[:8]}"
    lease_log = work / f"leases-{workers}.jsonl"
    lease_log.touch()
    with bench.store_url("postgres", work, f"fleet{workers}") as (url, extra):
        owner_url = as_owner(url)
        round_env = {
            **env,
            **extra,
            "CONNECTOR_DATABASE_URL": url,
            "CONNECTOR_CELERY_QUEUE": queue,
        }
        setup = subprocess.run(
            [sys.executable, __file__, "--child", "setup", "--customers", str(len(customers))],
            cwd=REPO,
            env=round_env,
            capture_output=True,
            text=True,
            check=False,
        )
        if setup.returncode != 0:
            raise SystemExit(f"connecting the customers failed:\n{setup.stderr}")
        try:
            names = worker_names(workers, queue)
            with started_workers(names, round_env, lease_log) as processes:
                wait_until_ready(names, env["CONNECTOR_CELERY_BROKER_URL"], queue)
                idle_cpu = sum(cpu_seconds(p.pid) for p in processes)  # their start-up
                passes = subprocess.run(
                    [sys.executable, __file__, "--child", "schedule"],
                    cwd=REPO,
                    env=round_env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                scheduled = json.loads(passes.stdout.strip().splitlines()[-1])["scheduled"]
                deadline = time.monotonic() + timeout
                runs: list[dict[str, Any]] = []
                while time.monotonic() < deadline:
                    runs = pull_runs(owner_url)
                    finished = [r for r in runs if r["status"] != "running"]
                    if len({r["customer_id"] for r in finished}) >= len(customers):
                        break
                    time.sleep(1)
                time.sleep(3)  # let the duplicate deliveries find the customers done
                cpu = sum(cpu_seconds(p.pid) for p in processes) - idle_cpu
        finally:
            drop_queue(env["CONNECTOR_CELERY_BROKER_URL"], queue)
        runs = pull_runs(owner_url)
    result = summarise(workers, customers, scheduled, runs, cpu, lease_violations(lease_log, runs))
    result["task_errors"] = task_errors(lease_log, names)
    return result


def as_owner(url: str) -> str:
    """`url` with the configured (owning) role instead of the app role: it reads every
    customer's runs (a superuser, as the local test server's, is not held by row security)."""
    from sqlalchemy.engine import make_url

    from connector.store.engine import normalize_url

    base = make_url(
        normalize_url(os.environ.get("CONNECTOR_DATABASE_URL") or bench.DEFAULT_POSTGRES)
    )
    owned = make_url(url).set(username=base.username, password=base.password)
    return owned.render_as_string(hide_password=False)


def wait_until_ready(names: list[str], broker: str, queue: str, timeout: float = 600) -> None:
    """Return once every worker named answers a ping (their start-up is not schedule lag)."""
    from connector.schedule.celery_app import make_celery

    control = make_celery(broker, queue).control
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(control.ping(destination=names, timeout=2.0) or []) >= len(names):
            return
    raise SystemExit(f"{len(names)} worker(s) did not start within {timeout:.0f} s")


def drop_queue(broker: str, queue: str) -> None:
    import redis

    client = redis.Redis.from_url(broker)
    stale = list(client.scan_iter(match=f"*{queue}*"))
    if stale:
        client.delete(*stale)


def epoch(value: datetime) -> float:
    return value.timestamp()


def summarise(
    workers: int,
    customers: list[str],
    scheduled: float,
    runs: list[dict[str, Any]],
    cpu: float,
    violations: list[str],
) -> dict[str, Any]:
    done = [r for r in runs if r["finished_at"] is not None]
    first = min(epoch(r["started_at"]) for r in done)
    last = max(epoch(r["finished_at"]) for r in done)
    rows = sum(r["rows_read"] for r in done)
    lags = sorted(epoch(r["started_at"]) - scheduled for r in done)
    return {
        "workers": workers,
        "customers": len(customers),
        "succeeded": sum(r["status"] == "succeeded" for r in done),
        "seconds": last - first,
        "syncs_per_minute": 60 * len(done) / max(last - first, 1e-9),
        "rows_per_second": rows / max(last - first, 1e-9),
        "cpu_us_per_row": 1e6 * cpu / max(rows, 1),
        "lag_p50": statistics.median(lags),
        "lag_p95": lags[min(len(lags) - 1, round(0.95 * (len(lags) - 1)))],
        "api_calls_per_customer": sum(r["api_calls"] for r in done) / max(len(done), 1),
        "violations": violations,
    }


def print_table(results: list[dict[str, Any]], rows: int) -> None:
    print(
        "| workers | customers x rows | succeeded | syncs/min | rows/s | worker CPU µs/row "
        "| lag p50 | lag p95 | API calls/customer | lease violations | task errors |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['workers']} | {r['customers']} x {rows:,} | {r['succeeded']} "
            f"| {r['syncs_per_minute']:.1f} | {r['rows_per_second']:,.0f} "
            f"| {r['cpu_us_per_row']:.0f} | {r['lag_p50']:.1f} s | {r['lag_p95']:.1f} s "
            f"| {r['api_calls_per_customer']:.1f} | {len(r['violations'])} "
            f"| {len(r['task_errors'])} |"
        )
    for r in results:
        for problem in r["violations"]:
            print(f"violation with {r['workers']} workers: {problem}")
        for error in r["task_errors"]:
            print(f"task error with {r['workers']} workers: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--rows", type=int, default=5000, help="Rows in each customer's report.")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--broker", default=DEFAULT_BROKER)
    parser.add_argument("--timeout", type=float, default=3600, help="Seconds per worker count.")
    parser.add_argument("--child", choices=["setup", "worker", "schedule"], help=argparse.SUPPRESS)
    parser.add_argument("--lease-log", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "setup":
        key_pem = Path(os.environ["FLEET_BENCH_KEY"]).read_text()
        child_setup(key_pem, customer_ids(args.customers))
        return
    if args.child == "schedule":
        child_schedule()
        return
    if args.child == "worker":
        child_worker(args.lease_log, args.name)
        return
    from cryptography.fernet import Fernet

    from connector.crm.salesforce.keys import generate_key_pair

    customers = customer_ids(args.customers)
    results = []
    with tempfile.TemporaryDirectory(prefix="connector-fleet-") as tmp:
        work = Path(tmp)
        key_pem, cert = generate_key_pair("connector-fleet")
        (work / "key.pem").write_text(key_pem)
        (work / "cert.pem").write_bytes(cert)
        write_field_maps(work / "maps", customers)
        server, info = bench.start_sandbox(args.rows, work, work / "cert.pem")
        try:
            bench.lift_report_run_limits(info)
            env = {
                **os.environ,
                "CONNECTOR_SANDBOX_URL": info["base_url"],
                "CONNECTOR_SANDBOX_CA": info["ca_path"],
                "CONNECTOR_DEMO_CLIENT_ID": bench.CLIENT_ID,
                "CONNECTOR_HOME": str(work / "home"),
                "CONNECTOR_FIELD_MAPS_DIR": str(work / "maps"),
                "CONNECTOR_SECRET_KEYS": Fernet.generate_key().decode(),
                "CONNECTOR_API_BUDGET_SHARE": "1.0",
                "CONNECTOR_REPORT_RUN_SHARE": "1.0",
                "CONNECTOR_CELERY_BROKER_URL": args.broker,
                "FLEET_BENCH_KEY": str(work / "key.pem"),
            }
            for workers in args.workers:
                print(
                    f"measuring {len(customers)} customers x {args.rows:,} rows "
                    f"with {workers} worker(s) ...",
                    file=sys.stderr,
                    flush=True,
                )
                results.append(measure_round(workers, customers, work, env, args.timeout))
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print_table(results, args.rows)
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
