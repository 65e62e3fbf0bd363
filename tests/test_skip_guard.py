"""A skip can never hide a failure: only a missing service may skip, and in CI nothing may."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from defusedxml import ElementTree

REPO = Path(__file__).resolve().parent.parent

SAMPLE = """
import pytest
from tests.helpers.skip_guard import service_missing

def test_plain_skip():
    pytest.skip("not ready")

@pytest.mark.skipif(True, reason="never here")
def test_skipif():
    pass

def test_importorskip():
    pytest.importorskip("no_such_module_anywhere")

def test_service_skip():
    service_missing("PostgreSQL not reachable at nowhere")

def test_passes():
    pass
"""


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, dict[str, str]]:
    """The sample's outcome per test name, run without and with CONNECTOR_TEST_REQUIRE_SERVICES."""
    return {
        required: run_sample(tmp_path_factory.mktemp("sample"), required)
        for required in (False, True)
    }


def run_sample(folder: Path, require_services: bool) -> dict[str, str]:
    (folder / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k != "CONNECTOR_TEST_REQUIRE_SERVICES"}
    env["PYTHONPATH"] = str(REPO)
    if require_services:
        env["CONNECTOR_TEST_REQUIRE_SERVICES"] = "1"
    junit = folder / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "tests.helpers.skip_guard",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
        "--rootdir",
        str(folder),
        str(folder),
    ]
    subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    found = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        failed = tags & {"failure", "error"}  # a skip in set-up fails as an error
        found[case.get("name", "")] = (
            "failed" if failed else "skipped" if "skipped" in tags else "passed"
        )
    return found


@pytest.mark.parametrize("require_services", [False, True])
def test_given_any_skip_but_a_service_skip_then_the_test_fails(
    outcomes: dict[bool, dict[str, str]], require_services: bool
) -> None:
    found = outcomes[require_services]
    assert found["test_plain_skip"] == "failed"
    assert found["test_skipif"] == "failed"
    assert found["test_importorskip"] == "failed"
    assert found["test_passes"] == "passed"


def test_given_a_missing_service_then_it_skips_locally_and_fails_in_ci(
    outcomes: dict[bool, dict[str, str]],
) -> None:
    assert outcomes[False]["test_service_skip"] == "skipped"
    assert outcomes[True]["test_service_skip"] == "failed"
