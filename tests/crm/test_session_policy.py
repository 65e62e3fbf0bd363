"""The HTTP session's policy at the HTTP boundary: retries, Retry-After, refresh, limits."""

from __future__ import annotations

import pytest
import responses
from responses import matchers
from responses.registries import OrderedRegistry

from connector.crm.base import ApiUsage
from connector.crm.salesforce.session import ApiBudget, SalesforceSession
from connector.errors import AuthError, CrmRateLimited, CrmRejected, CrmTransient

INSTANCE = "https://acme.my.salesforce.com"
QUERY = f"{INSTANCE}/services/data/v59.0/query/"
OK = {"totalSize": 0, "done": True, "records": []}


class RefreshingTokens:
    """Hands out token-1, then token-2 after one refresh."""

    instance_url = INSTANCE

    def __init__(self) -> None:
        self.current = "token-1"
        self.refreshed: list[str] = []

    def access_token(self) -> str:
        return self.current

    def refresh(self, rejected: str) -> str:
        self.refreshed.append(rejected)
        self.current = f"token-{len(self.refreshed) + 1}"
        return self.current


def make_session(
    sleeps: list[float], **kwargs: object
) -> tuple[SalesforceSession, RefreshingTokens]:
    tokens = RefreshingTokens()
    session = SalesforceSession(tokens, customer="acme", sleep=sleeps.append, **kwargs)  # type: ignore[arg-type]
    return session, tokens


def query(session: SalesforceSession) -> dict:  # type: ignore[type-arg]
    return session.call("query", lambda sf: sf.query("SELECT Id FROM Contact"))


def error(code: str, message: str = "x") -> list[dict[str, str]]:
    return [{"errorCode": code, "message": message}]


@responses.activate(registry=OrderedRegistry)
def test_given_503_503_200_when_querying_then_it_retries_with_backoff_and_succeeds() -> None:
    responses.get(QUERY, json=error("SERVER_UNAVAILABLE"), status=503)
    responses.get(QUERY, json=error("SERVER_UNAVAILABLE"), status=503)
    responses.get(QUERY, json=OK, headers={"Sforce-Limit-Info": "api-usage=18/5000"})
    sleeps: list[float] = []
    session, _ = make_session(sleeps)

    assert query(session) == OK
    assert len(sleeps) == 2
    assert session.counter.calls == 3
    assert session.counter.usage == ApiUsage(18, 5000)


@responses.activate(registry=OrderedRegistry)
def test_given_retry_after_when_retrying_then_the_wait_is_at_least_that_long() -> None:
    responses.get(QUERY, json=error("SERVER_UNAVAILABLE"), status=503, headers={"Retry-After": "7"})
    responses.get(QUERY, json=OK)
    sleeps: list[float] = []
    session, _ = make_session(sleeps)

    query(session)
    assert sleeps and sleeps[0] >= 7


@responses.activate(registry=OrderedRegistry)
def test_given_an_expired_session_then_it_refreshes_once_and_retries_once() -> None:
    responses.get(
        QUERY,
        json=error("INVALID_SESSION_ID", "Session expired or invalid"),
        status=401,
        match=[matchers.header_matcher({"Authorization": "Bearer token-1"})],
    )
    responses.get(
        QUERY, json=OK, match=[matchers.header_matcher({"Authorization": "Bearer token-2"})]
    )
    session, tokens = make_session([])

    assert query(session) == OK
    assert tokens.refreshed == ["token-1"]


@responses.activate(registry=OrderedRegistry)
def test_given_the_refreshed_token_is_refused_too_then_it_is_an_auth_error() -> None:
    responses.get(QUERY, json=error("INVALID_SESSION_ID"), status=401)
    responses.get(QUERY, json=error("INVALID_SESSION_ID"), status=401)
    session, tokens = make_session([])

    with pytest.raises(AuthError) as refused:
        query(session)
    assert refused.value.code == "INVALID_SESSION_ID"
    assert len(tokens.refreshed) == 1


@responses.activate(registry=OrderedRegistry)
def test_given_the_daily_limit_is_spent_then_it_stops_without_retrying() -> None:
    responses.get(
        QUERY, json=error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."), status=403
    )
    sleeps: list[float] = []
    session, _ = make_session(sleeps)

    with pytest.raises(CrmRateLimited) as stopped:
        query(session)
    assert stopped.value.code == "REQUEST_LIMIT_EXCEEDED"
    assert sleeps == []
    assert len(responses.calls) == 1


@responses.activate(registry=OrderedRegistry)
def test_given_a_bad_query_then_it_is_rejected_with_the_crm_code_and_not_retried() -> None:
    responses.get(QUERY, json=error("MALFORMED_QUERY", "unexpected token"), status=400)
    session, _ = make_session([])

    with pytest.raises(CrmRejected) as rejected:
        query(session)
    assert rejected.value.code == "MALFORMED_QUERY"
    assert "customer 'acme'" in str(rejected.value)
    assert len(responses.calls) == 1


@responses.activate(registry=OrderedRegistry)
def test_given_transient_errors_that_never_end_then_it_gives_up_as_transient() -> None:
    for _ in range(3):
        responses.get(QUERY, json=error("UNABLE_TO_LOCK_ROW"), status=400)
    sleeps: list[float] = []
    session, _ = make_session(sleeps, max_attempts=3)

    with pytest.raises(CrmTransient) as gave_up:
        query(session)
    assert gave_up.value.code == "UNABLE_TO_LOCK_ROW"
    assert len(sleeps) == 2


@responses.activate(registry=OrderedRegistry)
def test_given_reads_spent_their_budget_then_write_back_may_still_use_the_reserve() -> None:
    usage = {"Sforce-Limit-Info": "api-usage=850/1000"}
    responses.get(QUERY, json=OK, headers=usage)
    upsert = f"{INSTANCE}/services/data/v59.0/composite/sobjects/Task/Ext__c"
    responses.patch(upsert, json=[], headers=usage)
    session, _ = make_session([], budget=ApiBudget(max_share=0.8, writeback_share=0.95))

    query(session)  # learns the usage: 85%
    with pytest.raises(CrmRateLimited):
        query(session)
    session.call(
        "upsert",
        lambda sf: sf.restful(
            "composite/sobjects/Task/Ext__c", method="PATCH", json={"records": []}
        ),
    )
    assert len(responses.calls) == 2


@responses.activate(registry=OrderedRegistry)
def test_given_retry_after_longer_than_the_patience_then_it_stops_for_the_scheduler() -> None:
    responses.get(
        QUERY, json=error("SERVER_UNAVAILABLE"), status=503, headers={"Retry-After": "3600"}
    )
    sleeps: list[float] = []
    session, _ = make_session(sleeps, max_wait=60.0)

    with pytest.raises(CrmTransient) as stopped:
        query(session)
    assert stopped.value.retry_after == 3600
    assert sleeps == []
    assert len(responses.calls) == 1


@responses.activate(registry=OrderedRegistry)
def test_given_an_answer_that_is_not_json_then_it_is_retried_and_named_as_such() -> None:
    for _ in range(2):
        responses.get(QUERY, body="<html>maintenance</html>", content_type="text/html")
    responses.get(QUERY, json=OK)
    sleeps: list[float] = []
    session, _ = make_session(sleeps)

    assert query(session) == OK
    assert len(sleeps) == 2

    responses.get(QUERY, body=b"", status=200)
    session, _ = make_session([], max_attempts=1)
    with pytest.raises(CrmTransient) as caught:
        query(session)
    assert caught.value.code == "NETWORK_ERROR"
    assert "not JSON" in str(caught.value) and "acme" in str(caught.value)


@responses.activate
def test_an_answer_parses_as_the_json_it_is() -> None:
    answer = {
        "totalSize": 2,
        "done": True,
        "records": [
            {"Id": "003000000000001AAA", "Name": "Zoë Ångström 李", "Amount": 1234.5},
            {"Id": "003000000000002AAA", "Name": None, "Count": 999999999999999999},
        ],
    }
    responses.get(QUERY, json=answer)
    session, _ = make_session([])

    parsed = query(session)

    assert parsed == answer
    assert type(parsed) is dict and type(parsed["records"][0]) is dict
