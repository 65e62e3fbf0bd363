#!/usr/bin/env python3
"""What field encryption costs the pull: rows/s and CPU µs per row, with and without it.

Runs `connector.sync.pull.pull` in this process against an in-memory report (no network, so
the figures are the connector's own work: mapping, screening, sealing, storing) into a fresh
SQLite store per measurement, with the demo field map. Two modes:

- plain:     `PullOptions(seal=...)` stores the mapped values as they are (the switch exists
             only here, to measure; a pull without it always encrypts)
- encrypted: the default, the mapped fields sealed in one value per row with the customer's
             data key

For each mode it measures a first pull (every row written) and a second, full pull of the
same rows (every row compared and left unchanged: the common case of a scheduled sync).

Usage: .venv/bin/python scripts/crypto_cost.py [--rows 20000] [--page 2000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
COLUMNS = ("FIRST_NAME", "LAST_NAME", "EMAIL", "PHONE1", "TITLE", "ACCOUNT.NAME")


def report_rows(count: int) -> list[dict[str, Any]]:
    """`count` report rows in id order, shaped like the demo field map's columns."""
    rows = []
    for n in range(count):
        rows.append(
            {
                "CONTACT_ID": f"003{n:012d}AAA",
                "FIRST_NAME": f"First{n % 997}",
                "LAST_NAME": f"Last{n}",
                "EMAIL": f"person.{n}@example{n % 50}.com",
                "PHONE1": f"+1415555{n % 10000:04d}",
                "TITLE": "Head of Operations",
                "ACCOUNT.NAME": f"Company {n % 300}",
                "MAILING_COUNTRY": "US",
            }
        )
    return rows


@dataclass
class MemoryReport:
    """A CRM adapter serving one report from memory, `page` rows at a time."""

    rows: list[dict[str, Any]]
    page: int
    counter: Any = None
    report: Any = None
    _pages: int = field(default=0)

    def __post_init__(self) -> None:
        from connector.crm.base import CallCounter, ReportRef

        self.counter = CallCounter()
        self.report = ReportRef("00O000000000001AAA", "Bench", "Bench", "00l000000000001AAA")

    def list_reports(self, folder: str) -> list[Any]:
        return [self.report]

    def describe_report_columns(self, report: Any) -> dict[str, str]:
        return {**dict.fromkeys(self.rows[0], "string"), "CONTACT_ID": "id"}

    def iter_report_pages(
        self, report: Any, id_column: str, columns: Sequence[str], after: str | None = None
    ) -> Iterator[Any]:
        from connector.crm.base import ReportPage

        rows = [row for row in self.rows if after is None or row[id_column] > after]
        for start in range(0, len(rows), self.page):
            chunk = [{c: row[c] for c in columns} for row in rows[start : start + self.page]]
            done = start + self.page >= len(rows)
            yield ReportPage(rows=chunk, cursor=chunk[-1][id_column], done=done)


def as_stored(crm_id: str, fields: Mapping[str, str | None]) -> Mapping[str, str | None]:
    return fields


def measure(mode: str, rows: list[dict[str, Any]], page: int, work: Path) -> list[dict[str, Any]]:
    """Two pulls (first, then unchanged) of `rows` in `mode`; one result per pull."""
    from connector.fieldmap import load_field_map
    from connector.store import TenantStore, make_engine, migrate
    from connector.sync.pull import PullOptions, pull

    engine = make_engine(f"sqlite:///{work / f'{mode}.db'}")
    migrate(engine)
    fm = load_field_map("demo", REPO / "field_maps")
    store = TenantStore(engine, "bench")
    results = []
    for label, full in (("first pull", False), ("unchanged pull", True)):
        options = PullOptions(full=full, seal=as_stored if mode == "plain" else None)
        crm = MemoryReport(rows, page)
        started, cpu = time.perf_counter(), time.process_time()
        run = pull(fm, store, crm, options)  # type: ignore[arg-type]
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert run.status == "succeeded", run.error
        results.append(
            {
                "mode": mode,
                "pull": label,
                "rows": run.rows_read,
                "written": run.prospects_written,
                "rows_per_s": run.rows_read / seconds,
                "cpu_us_per_row": cpu * 1e6 / run.rows_read,
            }
        )
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--page", type=int, default=2_000)
    args = parser.parse_args()
    os.environ.setdefault("CONNECTOR_SECRET_KEYS", Fernet.generate_key().decode("ascii"))
    rows = report_rows(args.rows)
    with tempfile.TemporaryDirectory(prefix="crypto-cost-") as tmp:
        os.environ["CONNECTOR_HOME"] = tmp
        results = []
        for mode in ("plain", "encrypted"):
            results += measure(mode, rows, args.page, Path(tmp))
    print(f"{'mode':<10} {'pull':<15} {'rows':>7} {'written':>8} {'rows/s':>9} {'CPU µs/row':>11}")
    for r in results:
        print(
            f"{r['mode']:<10} {r['pull']:<15} {r['rows']:>7} {r['written']:>8} "
            f"{r['rows_per_s']:>9.0f} {r['cpu_us_per_row']:>11.1f}"
        )
    for label in ("first pull", "unchanged pull"):
        plain, sealed = (
            next(r for r in results if r["mode"] == mode and r["pull"] == label)
            for mode in ("plain", "encrypted")
        )
        extra = sealed["cpu_us_per_row"] - plain["cpu_us_per_row"]
        print(
            f"{label}: encryption adds {extra:.1f} CPU µs/row "
            f"({sealed['cpu_us_per_row'] / plain['cpu_us_per_row']:.2f}x)"
        )


if __name__ == "__main__":
    main()
