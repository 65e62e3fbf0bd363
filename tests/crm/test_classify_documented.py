"""Salesforce's documented error codes and their verdicts, whatever HTTP status carries them.

Each row states the documented fact (REST API error codes; the shapes of REST, OAuth and
proxy error bodies) and the whole verdict, code and message included. Rows are chosen so
that the status alone would lead elsewhere: a code in the table must win over the status.
"""

from __future__ import annotations

import pytest

from connector.crm.salesforce.classify import Classified, Verdict, classify, first_error


def rest_error(code: str, message: str = "") -> list[dict[str, str]]:
    """A REST API error body: a JSON array of {message, errorCode}."""
    return [{"message": message, "errorCode": code}]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # the session expired: refresh once, whatever status a proxy or endpoint gives it
        (
            403,
            rest_error("INVALID_SESSION_ID", "Session expired or invalid"),
            Classified(Verdict.REFRESH, "INVALID_SESSION_ID", "Session expired or invalid"),
        ),
        (
            500,
            rest_error("INVALID_SESSION_ID", "Session expired or invalid"),
            Classified(Verdict.REFRESH, "INVALID_SESSION_ID", "Session expired or invalid"),
        ),
        # the server is unavailable: transient, also when the status says "bad request"
        (
            400,
            rest_error("SERVER_UNAVAILABLE", "down for maintenance"),
            Classified(Verdict.RETRY, "SERVER_UNAVAILABLE", "down for maintenance"),
        ),
        # a query that ran too long is retried (with a narrower request), not rejected
        (
            400,
            rest_error("QUERY_TIMEOUT", "Your query request was running for too long."),
            Classified(
                Verdict.RETRY, "QUERY_TIMEOUT", "Your query request was running for too long."
            ),
        ),
        # a transaction security policy timed out: transient
        (
            403,
            rest_error("TXN_SECURITY_METERING_ERROR", "policy evaluation timed out"),
            Classified(Verdict.RETRY, "TXN_SECURITY_METERING_ERROR", "policy evaluation timed out"),
        ),
        # the integration user has no API access: a person must fix it, retrying cannot
        (
            403,
            rest_error("API_CURRENTLY_DISABLED", "API is disabled for this User"),
            Classified(Verdict.AUTH, "API_CURRENTLY_DISABLED", "API is disabled for this User"),
        ),
        (
            503,
            rest_error("API_DISABLED_FOR_ORG", "API is not enabled for this Organization"),
            Classified(
                Verdict.AUTH, "API_DISABLED_FOR_ORG", "API is not enabled for this Organization"
            ),
        ),
        # row lock contention: back off and retry, also when it comes as a 5xx
        (
            500,
            rest_error("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access"),
            Classified(Verdict.RETRY, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access"),
        ),
        # an expired query cursor is not fixed by sending the same request again
        (
            503,
            rest_error("INVALID_QUERY_LOCATOR", "invalid query locator"),
            Classified(Verdict.REJECTED, "INVALID_QUERY_LOCATOR", "invalid query locator"),
        ),
        # the daily allowance is spent: stop, even when the status is a 5xx
        (
            503,
            rest_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
            Classified(
                Verdict.RATE_LIMITED, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
            ),
        ),
        # too many concurrent requests: wait a little and retry
        (
            403,
            rest_error("REQUEST_LIMIT_EXCEEDED", "ConcurrentRequests Limit exceeded."),
            Classified(
                Verdict.RETRY, "REQUEST_LIMIT_EXCEEDED", "ConcurrentRequests Limit exceeded."
            ),
        ),
        (
            403,
            rest_error("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded"),
            Classified(
                Verdict.RETRY, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded"
            ),
        ),
        # a per-record result carries its code as statusCode
        (
            400,
            [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked", "fields": []}],
            Classified(Verdict.RETRY, "UNABLE_TO_LOCK_ROW", "locked"),
        ),
    ],
)
def test_given_a_documented_code_then_its_verdict_wins_over_the_status(
    status: int, body: object, expected: Classified
) -> None:
    assert classify(status, body) == expected


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # a single error object instead of an array
        (
            400,
            {"errorCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain exclusive access"},
            Classified(Verdict.RETRY, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access"),
        ),
        (
            403,
            {"errorCode": "API_CURRENTLY_DISABLED", "message": "API is disabled for this User"},
            Classified(Verdict.AUTH, "API_CURRENTLY_DISABLED", "API is disabled for this User"),
        ),
        (
            400,
            {"message": "no code at all"},
            Classified(Verdict.REJECTED, "HTTP_400", "no code at all"),
        ),
        (503, {"message": "busy"}, Classified(Verdict.RETRY, "HTTP_503", "busy")),
        (400, {}, Classified(Verdict.REJECTED, "HTTP_400", "")),
        # the OAuth endpoints' shape
        (
            400,
            {"error": "invalid_grant", "error_description": "expired access/refresh token"},
            Classified(Verdict.REJECTED, "invalid_grant", "expired access/refresh token"),
        ),
        (400, {"error": "invalid_client"}, Classified(Verdict.REJECTED, "invalid_client", "")),
        # plain text (a proxy's or load balancer's page)
        (
            502,
            "Bad Gateway",
            Classified(Verdict.RETRY, "HTTP_502", "Bad Gateway"),
        ),
        (
            404,
            "Not Found",
            Classified(Verdict.REJECTED, "HTTP_404", "Not Found"),
        ),
        # an empty array or an array of text: no code
        (400, [], Classified(Verdict.REJECTED, "HTTP_400", "")),
        (500, ["oops"], Classified(Verdict.RETRY, "HTTP_500", "['oops']")),
        # a list item with neither errorCode nor statusCode
        (400, [{"message": "what"}], Classified(Verdict.REJECTED, "HTTP_400", "what")),
        (400, [{}], Classified(Verdict.REJECTED, "HTTP_400", "")),
    ],
)
def test_given_a_body_of_any_shape_then_code_and_message_are_read_from_it(
    status: int, body: object, expected: Classified
) -> None:
    assert classify(status, body) == expected


def test_given_a_long_plain_text_body_then_the_message_keeps_its_first_300_characters() -> None:
    page = "<html>" + "x" * 400
    assert first_error(page) == (None, page[:300])
    assert len(classify(500, page).message) == 300


@pytest.mark.parametrize("body", [None, "", b"", [], {}])
def test_given_401_with_no_body_then_the_session_is_refreshed(body: object) -> None:
    assert classify(401, body) == Classified(Verdict.REFRESH, "INVALID_SESSION_ID", "")


def test_given_401_with_another_code_then_that_code_is_kept_and_the_session_refreshed() -> None:
    assert classify(401, rest_error("NOT_AUTHORIZED", "no")) == Classified(
        Verdict.REFRESH, "NOT_AUTHORIZED", "no"
    )


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (406, Verdict.RETRY),  # not acceptable: retried, as long-running connectors do
        (408, Verdict.RETRY),
        (420, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (501, Verdict.RETRY),
        (502, Verdict.RETRY),
        (503, Verdict.RETRY),
        (504, Verdict.RETRY),
        (599, Verdict.RETRY),
        (400, Verdict.REJECTED),
        (403, Verdict.REJECTED),
        (404, Verdict.REJECTED),
        (405, Verdict.REJECTED),
        (409, Verdict.REJECTED),
        (499, Verdict.REJECTED),
    ],
)
def test_given_a_status_without_a_code_then_the_status_decides(
    status: int, verdict: Verdict
) -> None:
    assert classify(status, None) == Classified(verdict, f"HTTP_{status}", "")


def test_given_a_network_failure_then_it_is_retried_with_its_own_code_and_message() -> None:
    assert classify(None, None) == Classified(Verdict.RETRY, "NETWORK_ERROR", "network error")
    assert classify(None, "connection reset") == Classified(
        Verdict.RETRY, "NETWORK_ERROR", "connection reset"
    )
    assert classify(None, rest_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests")) == Classified(
        Verdict.RETRY, "REQUEST_LIMIT_EXCEEDED", "TotalRequests"
    )
