"""The error classification table and the report paging body are pure; tested by tables."""

from __future__ import annotations

import msgspec
import orjson
import pytest

from connector.crm.salesforce.classify import Verdict, classify
from connector.crm.salesforce.reports import (
    ANSWER,
    answer_from,
    answer_problem,
    decode_rows,
    keyset_problem,
    run_body,
    total_rows,
)


@pytest.mark.parametrize(
    ("status", "body", "verdict", "code"),
    [
        (None, None, Verdict.RETRY, "NETWORK_ERROR"),
        (
            503,
            [{"errorCode": "SERVER_UNAVAILABLE", "message": ""}],
            Verdict.RETRY,
            "SERVER_UNAVAILABLE",
        ),
        (500, "oops", Verdict.RETRY, "HTTP_500"),
        (429, None, Verdict.RETRY, "HTTP_429"),
        (420, None, Verdict.RETRY, "HTTP_420"),
        (
            400,
            [{"errorCode": "UNABLE_TO_LOCK_ROW", "message": ""}],
            Verdict.RETRY,
            "UNABLE_TO_LOCK_ROW",
        ),
        (
            401,
            [{"errorCode": "INVALID_SESSION_ID", "message": ""}],
            Verdict.REFRESH,
            "INVALID_SESSION_ID",
        ),
        (
            403,
            [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}],
            Verdict.RATE_LIMITED,
            "REQUEST_LIMIT_EXCEEDED",
        ),
        (
            403,
            [
                {
                    "errorCode": "REQUEST_LIMIT_EXCEEDED",
                    "message": "ConcurrentPerOrgLongTxn Limit exceeded",
                }
            ],
            Verdict.RETRY,
            "REQUEST_LIMIT_EXCEEDED",
        ),
        (
            403,
            [{"errorCode": "API_DISABLED_FOR_ORG", "message": ""}],
            Verdict.AUTH,
            "API_DISABLED_FOR_ORG",
        ),
        (400, [{"errorCode": "INVALID_FIELD", "message": ""}], Verdict.REJECTED, "INVALID_FIELD"),
        (404, [{"errorCode": "NOT_FOUND", "message": ""}], Verdict.REJECTED, "NOT_FOUND"),
        (
            400,
            {"error": "invalid_grant", "error_description": "expired"},
            Verdict.REJECTED,
            "invalid_grant",
        ),
    ],
)
def test_classification_table(
    status: int | None, body: object, verdict: Verdict, code: str
) -> None:
    result = classify(status, body)
    assert (result.verdict, result.code) == (verdict, code)


def test_first_page_asks_for_the_columns_in_id_order_keeping_saved_filters() -> None:
    saved = {"reportFilters": [{"column": "EMAIL", "operator": "notEqual", "value": ""}]}
    body = run_body(saved, "CONTACT_ID", ["CONTACT_ID", "EMAIL"], None)["reportMetadata"]
    assert body["detailColumns"] == ["CONTACT_ID", "EMAIL"]
    assert body["sortBy"] == [{"sortColumn": "CONTACT_ID", "sortOrder": "Asc"}]
    assert body["reportFilters"] == saved["reportFilters"]
    assert "reportBooleanFilter" not in body


def test_later_pages_add_the_keyset_filter_and_reference_it_in_boolean_logic() -> None:
    saved = {
        "reportFilters": [{"column": "A", "operator": "equals", "value": "1"}] * 2,
        "reportBooleanFilter": "1 OR 2",
    }
    body = run_body(saved, "CONTACT_ID", ["CONTACT_ID"], "003X")["reportMetadata"]
    assert body["reportFilters"][-1] == {
        "column": "CONTACT_ID",
        "operator": "greaterThan",
        "value": "003X",
    }
    assert body["reportBooleanFilter"] == "(1 OR 2) AND 3"


def test_decoding_keeps_only_requested_columns_in_their_order() -> None:
    result = {
        "reportMetadata": {"detailColumns": ["CONTACT_ID", "EMAIL", "AMOUNT"]},
        "factMap": {
            "T!T": {
                "rows": [
                    {
                        "dataCells": [
                            {"label": "Ada", "value": "003A"},
                            {"label": "-", "value": None},
                            {"label": "$1", "value": {"amount": 1.0, "currency": None}},
                        ]
                    }
                ]
            }
        },
    }
    answer = answer_from(result)
    assert decode_rows(answer, ["CONTACT_ID", "EMAIL", "AMOUNT"]) == [
        {"CONTACT_ID": "003A", "EMAIL": None, "AMOUNT": 1.0}
    ]
    assert decode_rows(answer, ["CONTACT_ID"]) == [{"CONTACT_ID": "003A"}]
    assert answer == ANSWER.decode(orjson.dumps(result))  # decoded from the body alike


def test_an_answer_reads_null_as_absent_anywhere() -> None:
    body = (
        b'{"reportMetadata": null, "allData": true, "factMap": {"T!T": {"rows": [{"dataCells":'
        b' null}, {"dataCells": [{"label": "x"}]}], "aggregates": null}, "0!T": null}}'
    )
    answer = ANSWER.decode(body)
    assert decode_rows(answer, ["ID"]) == [{}, {"ID": None}]
    assert total_rows(answer) is None
    assert total_rows(ANSWER.decode(b'{"factMap": {"T!T": {"aggregates": [{"value": 7}]}}}')) == 7


def test_an_answer_of_the_wrong_shape_is_refused_by_its_decoder() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"factMap"):
        ANSWER.decode(b'{"factMap": {"T!T": {"rows": [["not", "an", "object"]]}}}')


@pytest.mark.parametrize(
    ("ids", "after", "problem"),
    [
        (["003A", "003B", "003C"], None, None),
        (["003B", "003C"], "003A", None),
        (["003a", "003B"], None, "not in strictly increasing"),  # case-insensitive order
        (["003B", "003B"], None, "not in strictly increasing"),  # a tie would repeat a row
        (["003A"], "003A", "not in strictly increasing"),  # not past the cursor
        ([], "003A", None),
    ],
)
def test_a_page_must_continue_the_keyset_in_binary_id_order(
    ids: list[str], after: str | None, problem: str | None
) -> None:
    found = keyset_problem([{"ID": i} for i in ids], "ID", after)
    assert (found is None) if problem is None else (problem in (found or ""))


def _answer(columns: list[str] | None, *cell_counts: int) -> dict:  # type: ignore[type-arg]
    rows = [{"dataCells": [{"value": "x"}] * count} for count in cell_counts]
    metadata = {} if columns is None else {"detailColumns": columns}
    return {"reportMetadata": metadata, "factMap": {"T!T": {"rows": rows}}}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (_answer(["ID", "EMAIL"], 2, 2), None),
        (_answer(["ID", "EMAIL", "EXTRA"], 3), None),
        (_answer(None, 2), None),  # no metadata: cells in the requested order
        (_answer(["ID"], 1), "requested column EMAIL is missing from the CRM's answer"),
        (_answer(["ID"], 1), "the answer's detailColumns are ID"),
        (_answer([], 0), "requested column ID, EMAIL is missing"),
        (_answer(["ID", "EMAIL"], 2, 1), "a row has 1 cells for 2 columns"),
        (_answer(None, 1), "a row has 1 cells for 2 columns"),
    ],
)
def test_an_answer_must_carry_every_requested_column(
    answer: dict,  # type: ignore[type-arg]
    problem: str | None,
) -> None:
    found = answer_problem(answer_from(answer), ["ID", "EMAIL"])
    assert (found is None) if problem is None else (problem in (found or ""))
