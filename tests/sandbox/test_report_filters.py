"""Report filter semantics and filter logic, as pure tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from connector.sandbox.errors import ApiError
from connector.sandbox.report_filters import parse_logic, value_test

UTC = dt.UTC


@pytest.mark.parametrize(
    ("data_type", "operator", "raw", "value", "expected"),
    [
        ("string", "equals", "acme", "ACME", True),
        ("string", "equals", "a,b,c", "b", True),
        ("string", "equals", "a,b,c", "d", False),
        ("string", "equals", "", None, True),
        ("string", "notEqual", "", None, False),
        ("string", "notEqual", "", "x", True),
        ("string", "notEqual", "x,y", "z", True),
        ("string", "contains", "cme", "Acme", True),
        ("string", "contains", "x", None, False),
        ("string", "notContain", "x", None, True),
        ("string", "startsWith", "ac", "Acme", True),
        ("string", "lessThan", "m", "Adams", True),
        ("id", "greaterThan", "0035g0000000001AAA", "0035g0000000002AAA", True),
        ("id", "greaterThan", "0035g0000000002AAA", "0035g0000000002AAA", False),
        ("id", "greaterOrEqual", "0035g0000000002AAA", "0035g0000000002AAA", True),
        ("id", "greaterThan", "0035g000000000aAAA", "0035g000000000BAAA", False),  # exact case
        ("date", "lessThan", "2000-01-01", dt.date(1999, 12, 31), True),
        ("date", "greaterOrEqual", "2000-01-01", None, False),
        (
            "datetime",
            "greaterThan",
            "2024-05-01T00:00:00Z",
            dt.datetime(2024, 5, 1, 0, 0, 1, tzinfo=UTC),
            True,
        ),
        ("datetime", "greaterThan", "2024-05-01", dt.datetime(2024, 4, 30, 23, tzinfo=UTC), False),
    ],
)
def test_filter_operators(
    data_type: str, operator: str, raw: str, value: Any, expected: bool
) -> None:
    assert value_test(data_type, operator, raw)(value) is expected


def test_bad_date_value_is_a_bad_request() -> None:
    with pytest.raises(ApiError) as caught:
        value_test("date", "lessThan", "yesterday-ish")
    assert caught.value.error_code == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("logic", "count", "results", "expected", "only_and"),
    [
        ("1 AND 2", 2, [True, True], True, True),
        ("1 AND 2", 2, [True, False], False, True),
        ("1 OR 2", 2, [False, True], True, False),
        ("(1 OR 2) AND NOT 3", 3, [True, False, True], False, False),
        ("(1 OR 2) AND NOT 3", 3, [False, True, False], True, False),
        ("1 and 2 and 3", 3, [True, True, True], True, True),
    ],
)
def test_filter_logic_evaluation(
    logic: str, count: int, results: list[bool], expected: bool, only_and: bool
) -> None:
    parsed = parse_logic(logic, count)
    assert parsed.evaluate(results) is expected
    assert parsed.only_and is only_and


@pytest.mark.parametrize(
    ("logic", "count", "message"),
    [
        ("1 AND 2", 3, "not referenced"),
        ("1 AND 4", 2, "undefined filter: 4"),
        ("1 AND", 1, "not valid"),
        ("(1 OR 2", 2, "not valid"),
        ("1 XOR 2", 2, "not valid"),
    ],
)
def test_filter_logic_must_reference_exactly_the_filters(
    logic: str, count: int, message: str
) -> None:
    with pytest.raises(ApiError) as caught:
        parse_logic(logic, count)
    assert caught.value.status == 400 and message in caught.value.message
