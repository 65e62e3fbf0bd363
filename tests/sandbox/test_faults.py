"""Seeded fault injection: rates, caps, special codes, Retry-After and latency."""

from __future__ import annotations

import time

import requests

from connector.sandbox import FaultRule, SandboxOrg
from connector.sandbox.faults import FaultInjector


def _statuses(api: requests.Session, url: str, n: int) -> list[int]:
    return [api.get(url).status_code for _ in range(n)]


def test_faults_fire_at_the_configured_rate_reproducibly(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    runs = []
    for _ in range(2):
        sandbox_org.set_faults([FaultRule(endpoint=r"/limits", rate=0.3, seed=11)])
        runs.append(_statuses(api, f"{rest}/limits/", 60))
    assert runs[0] == runs[1]
    failures = runs[0].count(503)
    assert 8 <= failures <= 30
    assert set(runs[0]) == {200, 503}


def test_times_caps_how_often_a_fault_fires(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    rule = FaultRule(endpoint=r"/limits", times=2, retry_after=7)
    sandbox_org.set_faults([rule])
    first = api.get(f"{rest}/limits/")
    assert first.status_code == 503 and first.headers["Retry-After"] == "7"
    assert first.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert _statuses(api, f"{rest}/limits/", 3) == [503, 200, 200]
    assert rule.fired == 2


def test_special_codes_get_salesforce_statuses_and_messages(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    expected = {
        "UNABLE_TO_LOCK_ROW": 400,
        "REQUEST_LIMIT_EXCEEDED": 403,
        "INVALID_SESSION_ID": 401,
    }
    for code, status in expected.items():
        sandbox_org.set_faults([FaultRule(endpoint=r"/limits", error_code=code)])
        response = api.get(f"{rest}/limits/")
        assert response.status_code == status
        assert response.json()[0]["errorCode"] == code
    assert response.json()[0]["message"] == "Session expired or invalid"
    sandbox_org.set_faults([FaultRule(endpoint=r"/limits", error_code="REQUEST_LIMIT_EXCEEDED")])
    assert api.get(f"{rest}/limits/").json()[0]["message"] == "TotalRequests Limit exceeded."


def test_a_status_below_400_only_adds_latency(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    sandbox_org.set_faults([FaultRule(endpoint=r"/limits", status=200, latency_ms=300)])
    started = time.monotonic()
    assert api.get(f"{rest}/limits/").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_faults_only_match_their_endpoint(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    sandbox_org.set_faults([FaultRule(endpoint=r"/analytics/reports/")])
    assert api.get(f"{rest}/limits/").status_code == 200


def test_added_latency_leaves_the_error_rules_in_force(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    latency = FaultRule(endpoint=".*", status=200, latency_ms=1)
    failure = FaultRule(endpoint=r"/limits", times=2)
    sandbox_org.set_faults([latency, failure])

    assert _statuses(api, f"{rest}/limits/", 3) == [503, 503, 200]
    assert failure.fired == 2
    assert latency.fired == 3


def test_latency_from_every_matching_rule_adds_up() -> None:
    injector = FaultInjector()
    injector.set(
        [
            FaultRule(endpoint=".*", status=200, latency_ms=5),
            FaultRule(endpoint=r"/limits", status=200, latency_ms=7),
            FaultRule(endpoint=r"/limits", status=503, latency_ms=11),
        ]
    )
    fault = injector.request_fault("GET", "/services/data/v59.0/limits")
    assert fault.latency_ms == 23
    assert fault.error is not None and fault.error.status == 503
    quiet = injector.request_fault("GET", "/services/data/v59.0/query")
    assert (quiet.latency_ms, quiet.error) == (5, None)
