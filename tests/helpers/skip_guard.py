"""The only skips the suite allows: a service (PostgreSQL, Redis) that does not answer.

`service_missing` is the one way a test may skip, and only outside CI: with
CONNECTOR_TEST_REQUIRE_SERVICES=1 it fails instead. The report hook below turns every other
skip (`pytest.skip`, `skipif`, `importorskip`, a skip marker) into a failure, always; in CI it
fails any skip at all, so a test can never hide a failure behind a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

#: Prefix of every skip reason `service_missing` gives; nothing else may skip.
SERVICE_SKIP = "service not available: "


def services_required() -> bool:
    return os.environ.get("CONNECTOR_TEST_REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    """Skip (locally) or fail (CI) a test whose service is down."""
    if services_required():
        pytest.fail(f"{reason} (CONNECTOR_TEST_REQUIRE_SERVICES=1, so this is a failure)")
    pytest.skip(SERVICE_SKIP + reason)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr: Any = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if reason.startswith(SERVICE_SKIP) and not services_required():
        return
    report.outcome = "failed"
    why = (
        "CONNECTOR_TEST_REQUIRE_SERVICES=1 allows no skip"
        if services_required()
        else "only a missing service may skip a test"
    )
    report.longrepr = f"skipped, which this suite does not allow ({why}): {reason}"
