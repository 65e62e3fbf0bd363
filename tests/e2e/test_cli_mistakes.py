"""Ordinary mistakes at the command line: one line, the documented exit code, never a traceback.

Every case runs the installed CLI in a subprocess (as a person would), with a store that holds
the customer `demo` and a field map for it, so that only the mistake itself is wrong.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from connector.cli.exit_codes import EXIT_CODES
from connector.store import TenantStore, make_engine, migrate
from connector.store.models import AuditEvent
from tests.conftest import REPO

USAGE, STORE = 2, 5


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """CONNECTOR_HOME with a store that knows `demo`; plus a JSONL file and keys made below."""
    home = tmp_path / "home"
    home.mkdir()
    engine = make_engine(f"sqlite:///{home / 'connector.db'}")
    migrate(engine)
    TenantStore(engine, "demo").ensure_customer()
    engine.dispose()
    (tmp_path / "latin1.jsonl").write_bytes(b'{"id": "x"}\n{"subject": "caf\xe9"}\n')
    (tmp_path / "utf16.jsonl").write_text('{"id": "x"}\n', encoding="utf-16")
    (tmp_path / "blocker").write_text("a file where a directory is wanted\n")
    return home


def run(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    base.update(CONNECTOR_HOME=str(home), CONNECTOR_FIELD_MAPS_DIR=str(REPO / "field_maps"))
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        cwd=home.parent,
        env={**base, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


MISTAKES = [
    ("missing argument", ["sync"], USAGE),
    ("missing argument of a sub-command", ["activities", "import", "demo"], USAGE),
    ("unknown command", ["synk", "demo"], USAGE),
    ("unknown sub-command", ["auth", "jwtt", "demo"], USAGE),
    ("unknown option", ["sync", "demo", "--fulll"], USAGE),
    ("bad option value", ["runs", "demo", "--limit", "many"], USAGE),
    ("bad option value of a sub-command", ["fieldmap", "preview", "demo", "--limit", "0"], USAGE),
    ("key file that does not exist", ["auth", "jwt", "demo", "--key", "nope.key"], USAGE),
    ("JSONL file that does not exist", ["activities", "import", "demo", "nope.jsonl"], USAGE),
    ("forget without a selector", ["forget", "demo"], USAGE),
    (
        "forget with two selectors",
        ["forget", "demo", "--email", "a@b.example", "--crm-id", "1"],
        USAGE,
    ),
    ("erase on a word, not a date", ["erase", "demo", "--on", "tomorrow"], USAGE),
    ("erase now without a terminal to confirm on", ["erase", "demo"], USAGE),
    ("export without --out", ["export", "demo"], USAGE),
    ("export to a path that cannot be created", ["export", "demo", "--out", "blocker/x"], USAGE),
    ("export to a file", ["export", "demo", "--out", "blocker"], USAGE),
    ("JSONL with a non-UTF-8 byte", ["activities", "import", "demo", "latin1.jsonl"], USAGE),
    ("JSONL in UTF-16", ["activities", "import", "demo", "utf16.jsonl"], USAGE),
    ("scheduler with an unknown executor", ["scheduler", "run", "--executor", "threads"], USAGE),
    (
        "fieldmap schema to a directory that does not exist",
        ["fieldmap", "schema", "--out", "no/such/dir/s.json"],
        USAGE,
    ),
]


@pytest.mark.parametrize(("what", "args", "code"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_mistake_gets_one_line_and_its_exit_code(
    home: Path, what: str, args: list[str], code: int
) -> None:
    result = run(home, *args)

    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == code, (what, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), lines[0]


def test_a_non_utf8_byte_is_reported_with_its_file_and_line(home: Path) -> None:
    result = run(home, "activities", "import", "demo", "latin1.jsonl")

    assert "latin1.jsonl: line 2" in result.stderr and "0xe9" in result.stderr


def test_a_utf16_file_is_named_as_such(home: Path) -> None:
    result = run(home, "activities", "import", "demo", "utf16.jsonl")

    assert "utf16.jsonl: line 1" in result.stderr and "UTF-16" in result.stderr


CUSTOMER_COMMANDS = [
    ["forget", "dmeo", "--email", "ada@example.com"],
    ["export", "dmeo", "--out", "exported"],
    ["erase", "dmeo", "--yes"],
    ["activities", "import", "dmeo", "latin1.jsonl"],
    ["activities", "failed", "dmeo"],
    ["runs", "dmeo"],
    ["audit", "dmeo"],
    ["sync", "dmeo"],
    ["push", "dmeo"],
    ["auth", "revoke", "dmeo"],
    ["auth", "status", "dmeo"],
    ["retention", "run", "dmeo"],
    ["fieldmap", "preview", "dmeo"],
]


@pytest.mark.parametrize(
    "args", CUSTOMER_COMMANDS, ids=[" ".join(a[:2]) for a in CUSTOMER_COMMANDS]
)
def test_a_mistyped_customer_is_refused_with_did_you_mean_and_leaves_no_trace(
    home: Path, args: list[str]
) -> None:
    result = run(home, *args)

    assert result.returncode == USAGE, result.stderr
    assert "Traceback" not in result.stderr
    assert "'dmeo'" in result.stderr and "did you mean 'demo'" in result.stderr
    engine = make_engine(f"sqlite:///{home / 'connector.db'}")
    assert TenantStore(engine, "dmeo").count(AuditEvent) == 0
    assert not (home.parent / "exported").exists()


def test_a_mistyped_sqlite_path_is_refused_and_creates_nothing(home: Path) -> None:
    typo = home / "conector.db"

    result = run(home, "runs", "demo", env={"CONNECTOR_DATABASE_URL": f"sqlite:///{typo}"})

    assert result.returncode == USAGE
    assert f"no store at {typo}" in result.stderr
    assert not typo.exists()


def test_an_unsupported_store_url_is_one_line(home: Path) -> None:
    result = run(home, "runs", "demo", env={"CONNECTOR_DATABASE_URL": "mysql://u@h/db"})

    assert result.returncode == USAGE
    assert "Traceback" not in result.stderr
    assert "mysql" in result.stderr and "sqlite" in result.stderr.lower()
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_corrupt_sqlite_store_is_one_line_with_its_path_and_no_sql(home: Path) -> None:
    broken = home / "broken.db"
    broken.write_bytes(b"this is not a database file at all" * 200)

    result = run(home, "runs", "demo", env={"CONNECTOR_DATABASE_URL": f"sqlite:///{broken}"})

    assert result.returncode == STORE, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert str(broken) in lines[0]
    assert "[SQL" not in lines[0] and "PRAGMA" not in lines[0]


def test_a_store_that_is_a_healthy_sqlite_file_is_not_called_corrupt(home: Path) -> None:
    sqlite3.connect(home / "connector.db").close()

    assert run(home, "runs", "demo").returncode == 0


def test_the_exit_codes_table_is_in_the_help_and_the_readme(home: Path) -> None:
    help_text = run(home, "--help").stdout
    readme = (REPO / "README.md").read_text()

    for code, meaning in EXIT_CODES:
        assert f"{code:>3}  {meaning}" in help_text
        assert f"| {code} | {meaning} |" in readme


def test_help_is_not_cut_at_80_columns_when_piped(home: Path) -> None:
    result = run(home, "sync", "--help")

    assert result.returncode == 0
    assert "Pull the customer's report folder into the store (resuming an interrupted run)." in (
        result.stdout
    )


def test_a_declined_erase_prompt_erases_nothing_and_says_so(home: Path) -> None:
    import pty

    base = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    base.update(CONNECTOR_HOME=str(home), CONNECTOR_FIELD_MAPS_DIR=str(REPO / "field_maps"))
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"n\n")
        result = subprocess.run(
            [sys.executable, "-m", "connector", "erase", "demo"],
            cwd=home.parent,
            env=base,
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "not erased" in result.stderr
    engine = make_engine(f"sqlite:///{home / 'connector.db'}")
    assert TenantStore(engine, "demo").get_customer() is not None
    assert run(home, "erase", "--pending").stdout.count("demo") == 0
