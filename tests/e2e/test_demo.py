"""`connector demo` runs the whole job, and leaves no token or key in plain text anywhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from tests.conftest import REPO

#: Salesforce access tokens start with the 15-character org id and "!".
ACCESS_TOKEN = re.compile(rb"00D[0-9A-Za-z]{12}![0-9A-Za-z._-]{8,}")


def test_the_token_pattern_matches_the_shape_salesforce_and_the_sandbox_use() -> None:
    assert ACCESS_TOKEN.search(b"x 00D5g0000000008!AQ0AQH0dMmrK1_q9 y")


def test_the_demo_pulls_pushes_and_keeps_secrets_encrypted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    env["CONNECTOR_HOME"] = str(home)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "connector",
            "--debug",
            "demo",
            "--rows",
            "2500",
            "--activities",
            "10",
            "--no-progress",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output.decode(errors="replace")[-3000:]
    text = result.stdout.decode()
    assert "succeeded" in text
    assert re.search(r"activities pushed\s*│\s*10\b", text), text
    assert re.search(r"Tasks in the org\s*│\s*10\b", text), text

    database = home / "demo" / "connector.db"
    files = [p for p in home.rglob("*") if p.is_file() and p.name.startswith("connector.db")]
    assert database in files
    for path in files:
        raw = path.read_bytes()
        assert not ACCESS_TOKEN.search(raw), f"plain access token in {path.name}"
        assert b"PRIVATE KEY" not in raw, f"plain private key in {path.name}"
    assert not ACCESS_TOKEN.search(output), "an access token reached the output or logs"
    assert b"PRIVATE KEY" not in output

    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "connector",
            "demo",
            "--rows",
            "2500",
            "--activities",
            "10",
            "--no-progress",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert second.returncode == 0, second.stderr[-3000:]
    assert re.search(r"prospects written\s*│\s*0\b", second.stdout), second.stdout
    assert re.search(r"activities pushed\s*│\s*0\b", second.stdout), second.stdout


def test_the_demo_leaves_the_installations_store_and_keys_alone(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    env.update(
        CONNECTOR_HOME=str(home),
        CONNECTOR_DATABASE_URL=f"sqlite:///{tmp_path / 'real.db'}",
        CONNECTOR_SECRET_KEYS=Fernet.generate_key().decode(),
    )
    demo = [sys.executable, "-m", "connector", "demo", "--rows", "2500", "--no-progress"]
    result = subprocess.run(
        demo, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert (home / "demo" / "connector.db").is_file()
    assert not (tmp_path / "real.db").exists()
    assert not (home / "secret.key").exists() and not (home / "connector.db").exists()
