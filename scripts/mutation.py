"""Mutation testing of the core decision modules, one module against its own tests at a time.

Each module in MODULES is mutated by mutmut in a scratch copy of the project under
`build/mutation/<name>/`, with a `[tool.mutmut]` table made from the project's own (in
pyproject.toml) plus the module to mutate and the tests that pin it. mutmut runs only the
tests that reach a mutated function, so a module's run costs its own tests, not the suite's.

Usage: scripts/mutation [NAME ...] [--max-children N] [--list]
Prints one line per module: mutants, killed, survived, timeouts, no tests, score. The
survivors of a module can be read with `cd build/mutation/NAME && ../../../.venv/bin/mutmut
show MUTANT`. Equivalent mutants are listed and explained in docs/mutation.md.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation"
COPIED = ("connector", "tests", "field_maps")


@dataclass(frozen=True)
class Target:
    sources: tuple[str, ...]
    tests: tuple[str, ...]


MODULES: dict[str, Target] = {
    "classify": Target(("connector/crm/salesforce/classify.py",), ("tests/crm",)),
    "tls": Target(
        ("connector/crm/salesforce/tls.py", "connector/loopback.py"),
        (
            "tests/auth/test_tls_rule.py",
            "tests/auth/test_tls_rule_documented.py",
            "tests/auth/test_extra_hosts.py",
        ),
    ),
    "activities": Target(
        ("connector/store/activities.py",),
        ("tests/store/test_activities_outbox.py", "tests/push/test_record.py"),
    ),
    "push": Target(("connector/sync/push.py",), ("tests/push",)),
    "transforms": Target(("connector/fieldmap/transforms.py",), ("tests/fieldmap",)),
    "phone_validity": Target(
        ("connector/fieldmap/phone_validity.py",),
        (
            "tests/fieldmap/test_phone_validity.py",
            "tests/fieldmap/test_fieldmap_phone_fast_path.py",
        ),
    ),
    "due": Target(
        ("connector/schedule/due.py",),
        ("tests/schedule/test_due.py", "tests/schedule/test_due_documented.py"),
    ),
    # the pull's store operations, each against the store's own tests (on SQLite and
    # PostgreSQL): they reach every function, and the end-to-end pull costs minutes per survivor
    "page_sql": Target(("connector/store/page_sql.py",), ("tests/store",)),
    "rowhash": Target(("connector/store/rowhash.py",), ("tests/store",)),
    "pull_rows": Target(
        ("connector/store/pull_rows.py",), ("tests/store", "tests/privacy/test_sealed_rows.py")
    ),
    "leases": Target(
        ("connector/store/leases.py",),
        ("tests/schedule/test_leases.py", "tests/store/test_leases_documented.py"),
    ),
    "suppression": Target(("connector/privacy/suppression.py",), ("tests/privacy",)),
}

KILLED = {"killed"}
SURVIVED = {"survived"}
TIMEOUT = {"timeout"}


def toml_value(value: object) -> str:
    """A TOML rendering of the plain values a [tool.mutmut] table holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot render {value!r} in [tool.mutmut]")


def module_pyproject(name: str, target: Target) -> str:
    """The project's pyproject.toml with [tool.mutmut] narrowed to one module and its tests."""
    text = (ROOT / "pyproject.toml").read_text()
    base = dict(tomllib.loads(text).get("tool", {}).get("mutmut", {}))
    base["only_mutate"] = list(target.sources)
    base["pytest_add_cli_args_test_selection"] = list(target.tests)
    stripped = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
    table = "\n".join(f"{key} = {toml_value(value)}" for key, value in base.items())
    return f"{stripped.rstrip()}\n\n[tool.mutmut]\n{table}\n"


def prepare(name: str, target: Target) -> Path:
    work = WORK / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for item in COPIED:
        shutil.copytree(ROOT / item, work / item, ignore=ignore)
    (work / "pyproject.toml").write_text(module_pyproject(name, target))
    return work


def mutmut(work: Path, *args: str, log: Path | None = None) -> str:
    """Run mutmut in `work`; `run` exits non-zero when mutants survive, so no check here."""
    command = [sys.executable, "-m", "mutmut", *args]
    if log is None:
        return subprocess.run(command, cwd=work, capture_output=True, text=True).stdout
    with log.open("w") as out:
        subprocess.run(command, cwd=work, stdout=out, stderr=subprocess.STDOUT)
    return ""


def statuses(work: Path) -> Counter[str]:
    """mutmut's verdict per mutant, counted by verdict."""
    counts: Counter[str] = Counter()
    for line in mutmut(work, "results", "--all", "true").splitlines():
        if ": " in line:
            counts[line.rsplit(": ", 1)[1].strip()] += 1
    return counts


def survivors(work: Path) -> list[str]:
    lines = mutmut(work, "results").splitlines()
    return [line.split(":")[0].strip() for line in lines if line.strip().endswith("survived")]


def run(name: str, max_children: int) -> tuple[Counter[str], list[str]]:
    work = prepare(name, MODULES[name])
    print(f"{name}: mutating {', '.join(MODULES[name].sources)}", flush=True)
    mutmut(work, "run", "--max-children", str(max_children), log=work / "mutmut.log")
    return statuses(work), survivors(work)


def score_line(name: str, counts: Counter[str]) -> str:
    total = sum(counts.values())
    killed = sum(counts[s] for s in KILLED)
    survived = sum(counts[s] for s in SURVIVED)
    timeouts = sum(counts[s] for s in TIMEOUT)
    other = total - killed - survived - timeouts
    caught = killed + timeouts
    score = 100.0 * caught / total if total else 0.0
    return (
        f"{name:<12} {total:>7} {killed:>6} {survived:>8} {timeouts:>8} {other:>6} {score:>6.1f}%"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="modules to run (default: all)")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    args = parser.parse_args()
    if args.list:
        for name, target in MODULES.items():
            print(f"{name}: {' '.join(target.sources)}  <-  {' '.join(target.tests)}")
        return 0
    unknown = [n for n in args.names if n not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; known: {', '.join(MODULES)}")
    results = {}
    for name in args.names or list(MODULES):
        results[name] = run(name, args.max_children)
        for mutant in results[name][1]:
            print(f"  survived: {mutant}")
    print(
        f"\n{'module':<12} {'mutants':>7} {'killed':>6} {'survived':>8} {'timeout':>8} "
        f"{'other':>6} {'score':>7}"
    )
    for name, (counts, _) in results.items():
        print(score_line(name, counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
