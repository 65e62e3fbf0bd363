"""`connector --help` and simple commands start without loading the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

HEAVY = (
    "fastapi",
    "sqlalchemy",
    "sqlmodel",
    "simple_salesforce",
    "uvicorn",
    "celery",
    "connector.sandbox.server",
)

PROBE = """
import json, sys
from connector.cli import main
code = 0
try:
    main({args!r})
except SystemExit as exit:
    code = exit.code
heavy = {heavy!r}
loaded = sorted(m for m in heavy if m in sys.modules)
sys.__stderr__.write(json.dumps({{"code": code, "loaded": loaded}}))
"""


@pytest.mark.parametrize(
    "args",
    [["--help"], ["sync", "--help"], ["secrets", "generate-key"], ["fieldmap", "schema"]],
    ids=lambda a: " ".join(a),
)
def test_a_simple_command_imports_none_of_the_heavy_modules(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    probe = json.loads(result.stderr.strip().splitlines()[-1])
    # a command that failed early would import nothing either: it must have done its work
    assert probe["code"] in (0, None), result.stderr
    assert probe["loaded"] == [], f"`connector {' '.join(args)}` imported {probe['loaded']}"
