"""The HTTP boundary of a push: exact upsert bodies, 200-record chunks, whole-call failures.

Mocks are at the transport (`responses`); every registered response must be used, and
request bodies are matched exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from responses import matchers
from responses.registries import OrderedRegistry
from sqlalchemy.engine import Engine

from connector.crm.salesforce.adapter import SalesforceAdapter
from connector.crm.salesforce.session import SalesforceSession
from connector.crm.salesforce.tokens import StaticTokenSource
from connector.errors import CrmRateLimited, CrmTransient
from connector.store import TenantStore
from connector.sync.push import push, record_activities
from tests.push.conftest import EXT_FIELD, a_call, an_email, field_map

INSTANCE = "https://acme.my.salesforce.com"
UPSERT_URL = f"{INSTANCE}/services/data/v59.0/composite/sobjects/Task/{EXT_FIELD}"
WHO = "003000000000001AAA"


def adapter(max_attempts: int = 3) -> SalesforceAdapter:
    session = SalesforceSession(
        StaticTokenSource(INSTANCE, "00D000000000001!token-for-tests"),
        customer="acme",
        max_attempts=max_attempts,
        sleep=lambda _seconds: None,
    )
    return SalesforceAdapter(session)


def created(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"id": f"00T{start + i:015d}", "success": True, "errors": [], "created": True}
        for i in range(count)
    ]


@pytest.fixture
def store(sqlite_engine: Engine) -> TenantStore:
    return TenantStore(sqlite_engine, "acme")


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def test_given_a_call_and_an_email_when_pushed_then_the_upsert_body_is_exact(
    store: TenantStore, http: responses.RequestsMock
) -> None:
    call = a_call(WHO, occurred_at=datetime(2026, 3, 2, 15, 4, tzinfo=UTC), duration_seconds=340)
    email = an_email(
        WHO, occurred_at=datetime(2026, 3, 2, 16, 0, tzinfo=UTC), subject="Pricing", direction=None
    )
    record_activities(store, [call, email])
    expected = {
        "allOrNone": False,
        "records": [
            {
                "attributes": {"type": "Task"},
                EXT_FIELD: str(call.id),
                "WhoId": WHO,
                "Subject": "Call: Connected",
                "Status": "Completed",
                "ActivityDate": "2026-03-02",
                "Type": "Call",
                "TaskSubtype": "Call",
                "CallDurationInSeconds": 340,
                "CallType": "Outbound",
                "CallDisposition": "Connected",
            },
            {
                "attributes": {"type": "Task"},
                EXT_FIELD: str(email.id),
                "WhoId": WHO,
                "Subject": "Email: Pricing",
                "Status": "Completed",
                "ActivityDate": "2026-03-02",
                "Type": "Email",
                "TaskSubtype": "Email",
            },
        ],
    }
    http.add(
        responses.PATCH,
        UPSERT_URL,
        json=created(2),
        match=[matchers.json_params_matcher(expected, strict_match=True)],
    )

    run = push(field_map(), store, adapter())

    assert (run.status, run.kind, run.activities_pushed, run.api_calls) == (
        "succeeded",
        "push",
        2,
        1,
    )
    row = store.get_activity(str(call.id))
    assert row is not None
    assert (row.push_status, row.crm_task_id) == ("pushed", "00T000000000000000")


def test_given_450_activities_when_pushed_then_three_calls_of_200_200_and_50(
    store: TenantStore, http: responses.RequestsMock
) -> None:
    record_activities(store, [a_call(WHO, n) for n in range(450)])
    for start, size in ((0, 200), (200, 200), (400, 50)):
        http.add(responses.PATCH, UPSERT_URL, json=created(size, start))

    run = push(field_map(), store, adapter())

    sizes = [len(json.loads(call.request.body)["records"]) for call in http.calls]
    assert sizes == [200, 200, 50]
    sent = [r[EXT_FIELD] for call in http.calls for r in json.loads(call.request.body)["records"]]
    assert len(set(sent)) == 450
    assert (run.activities_pushed, run.api_calls) == (450, 3)
    assert store.activity_counts() == {"pushed": 450}


def test_given_a_limit_when_pushed_then_only_that_many_are_sent(
    store: TenantStore, http: responses.RequestsMock
) -> None:
    record_activities(store, [a_call(WHO, n) for n in range(5)])
    http.add(responses.PATCH, UPSERT_URL, json=created(3))

    run = push(field_map(), store, adapter(), limit=3)

    assert run.activities_pushed == 3
    assert store.activity_counts() == {"pushed": 3, "pending": 2}


def test_given_503_then_200_when_pushed_then_the_session_retries_and_nothing_is_lost(
    store: TenantStore,
) -> None:
    record_activities(store, [a_call(WHO, n) for n in range(3)])
    unavailable = [{"errorCode": "SERVER_UNAVAILABLE", "message": "try later"}]
    with responses.RequestsMock(registry=OrderedRegistry) as http:
        http.add(responses.PATCH, UPSERT_URL, json=unavailable, status=503)
        http.add(responses.PATCH, UPSERT_URL, json=unavailable, status=503)
        http.add(responses.PATCH, UPSERT_URL, json=created(3))
        run = push(field_map(), store, adapter(max_attempts=3))
    assert (run.status, run.activities_pushed, run.api_calls) == ("succeeded", 3, 3)


def test_given_503_after_every_retry_when_pushed_then_the_run_fails_and_the_batch_stays_pending(
    store: TenantStore,
) -> None:
    record_activities(store, [a_call(WHO, n) for n in range(3)])
    unavailable = [{"errorCode": "SERVER_UNAVAILABLE", "message": "try later"}]
    with responses.RequestsMock(registry=OrderedRegistry) as http:
        http.add(responses.PATCH, UPSERT_URL, json=unavailable, status=503)
        http.add(responses.PATCH, UPSERT_URL, json=unavailable, status=503)
        with pytest.raises(CrmTransient):
            push(field_map(), store, adapter(max_attempts=2))

    [run] = store.list_runs()
    assert (run.kind, run.status, run.error_code, run.api_calls) == (
        "push",
        "failed",
        "SERVER_UNAVAILABLE",
        2,
    )
    assert store.activity_counts() == {"pending": 3}
    assert all(store.get_activity(i).attempts == 0 for i in store.pending_activity_ids())  # type: ignore[union-attr]


def test_given_the_org_limit_is_reached_when_pushed_then_the_run_stops(
    store: TenantStore, http: responses.RequestsMock
) -> None:
    record_activities(store, [a_call(WHO)])
    http.add(
        responses.PATCH,
        UPSERT_URL,
        json=[{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}],
        status=403,
    )
    with pytest.raises(CrmRateLimited):
        push(field_map(), store, adapter())
    [run] = store.list_runs()
    assert (run.status, run.error_code) == ("stopped", "REQUEST_LIMIT_EXCEEDED")
    assert store.activity_counts() == {"pending": 1}


def test_given_nothing_pending_when_pushed_then_no_call_is_made(
    store: TenantStore, http: responses.RequestsMock
) -> None:
    run = push(field_map(), store, adapter())
    assert (run.status, run.activities_pushed, run.api_calls) == ("succeeded", 0, 0)
    assert len(http.calls) == 0
