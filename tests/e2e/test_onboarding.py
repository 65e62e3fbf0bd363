"""The README's "Onboarding a customer" runs as written against `connector sandbox serve`.

The commands are read from the README itself: the onboarding block, with the sandbox block
("Rehearse it against the sandbox") started after `auth keygen` and its printed `export` line
applied, in a fresh directory holding only the shipped field maps.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO


def bash_blocks_after(text: str, marker: str) -> list[str]:
    """The lines of the first ```bash block after `marker` in `text`."""
    rest = text[text.index(marker) :]
    match = re.search(r"```bash\n(.*?)```", rest, re.S)
    assert match, f"no bash block after {marker!r}"
    return [line for line in match.group(1).splitlines() if line.strip()]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory like a fresh checkout: the shipped field maps, nothing else."""
    work = tmp_path / "work"
    (work / "field_maps").mkdir(parents=True)
    for name in ("example.yaml", "fieldmap.schema.json"):
        shutil.copy(REPO / "field_maps" / name, work / "field_maps" / name)
    return work


@pytest.fixture
def shell_env() -> dict[str, str]:
    """No CONNECTOR_* settings; this interpreter's `connector` first on the PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_bash(lines: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = "set -euo pipefail\n" + "\n".join(lines) + "\nenv -0\n"
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def env_of(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The environment `env -0` printed at the end of a script."""
    tail = result.stdout[result.stdout.rfind("\n", 0, result.stdout.find("\0")) + 1 :]
    pairs = (item.split("=", 1) for item in tail.split("\0") if "=" in item)
    return dict(pairs)


@pytest.fixture
def sandbox_line() -> str:
    readme = (REPO / "README.md").read_text()
    (line,) = bash_blocks_after(readme, "**Rehearse it against the sandbox.**")
    return line


def start_sandbox(line: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["bash", "-c", f"exec {line}"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def exports_printed(process: subprocess.Popen[str]) -> Iterator[tuple[str, str]]:
    """Read the sandbox's banner up to its `export` line; yield the variables it sets."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("export "):
            for word in shlex.split(line)[1:]:
                name, _, value = word.partition("=")
                yield name, value
            return
    raise AssertionError("the sandbox printed no export line:\n" + "".join(seen))


@pytest.mark.slow
def test_the_readmes_onboarding_runs_as_written_against_the_sandbox(
    workdir: Path, shell_env: dict[str, str], sandbox_line: str
) -> None:
    readme = (REPO / "README.md").read_text()
    lines = bash_blocks_after(readme, "## Onboarding a customer")
    keygen = next(i for i, line in enumerate(lines) if "auth keygen" in line) + 1

    first = run_bash(lines[:keygen], workdir, shell_env)
    assert first.returncode == 0, first.stderr
    env = env_of(first)
    assert env.get("CONNECTOR_SECRET_KEYS")

    sandbox = start_sandbox(sandbox_line, workdir, env)
    try:
        env.update(dict(exports_printed(sandbox)))
        rest = run_bash(lines[keygen:], workdir, env)
    finally:
        sandbox.terminate()
        sandbox.communicate(timeout=60)

    output = rest.stdout.split("\0")[0] + rest.stderr
    assert rest.returncode == 0, output[-4000:]
    assert "Traceback" not in output
    assert "Connector_Activity_Id__c is an external id" in output
    assert "report Renewals_Q3: every mapped column present" in output
    assert "succeeded" in output
    assert "scheduler pass" in output
