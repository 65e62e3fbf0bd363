"""The SOQL subset parser, as tables of text -> syntax tree."""

from __future__ import annotations

import datetime as dt

import pytest

from connector.sandbox.soql import (
    BoolOp,
    Comparison,
    Literal,
    Not,
    OrderItem,
    SoqlSyntaxError,
    parse,
    unescape,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "fields", "sobject"),
    [
        ("SELECT Id FROM Contact", ("Id",), "Contact"),
        ("select id, email from contact", ("id", "email"), "contact"),
        (
            "SELECT Id, Account.Name, Owner.Username FROM Contact",
            ("Id", "Account.Name", "Owner.Username"),
            "Contact",
        ),
    ],
)
def test_select_lists_and_objects(text: str, fields: tuple[str, ...], sobject: str) -> None:
    query = parse(text)
    assert (query.fields, query.sobject, query.count_only) == (fields, sobject, False)


def test_count_query() -> None:
    query = parse("SELECT COUNT() FROM Lead")
    assert query.count_only and query.fields == () and query.sobject == "Lead"


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Email = 'a@b.c'", Comparison("Email", "=", Literal("string", "a@b.c"))),
        ("Email != null", Comparison("Email", "!=", Literal("null", None))),
        ("Email <> 'x'", Comparison("Email", "!=", Literal("string", "x"))),
        ("Amount >= 10.5", Comparison("Amount", ">=", Literal("number", 10.5))),
        ("Amount < -3", Comparison("Amount", "<", Literal("number", -3))),
        ("IsDeleted = false", Comparison("IsDeleted", "=", Literal("boolean", False))),
        (
            "Birthdate > 1990-12-10",
            Comparison("Birthdate", ">", Literal("date", dt.date(1990, 12, 10))),
        ),
        (
            "SystemModstamp >= 2024-01-31T23:59:59Z",
            Comparison(
                "SystemModstamp",
                ">=",
                Literal("datetime", dt.datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC)),
            ),
        ),
        (
            "CreatedDate < 2024-01-31T10:00:00.000+05:30",
            Comparison(
                "CreatedDate",
                "<",
                Literal(
                    "datetime",
                    dt.datetime(
                        2024, 1, 31, 10, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))
                    ),
                ),
            ),
        ),
        ("Name LIKE 'Ad%'", Comparison("Name", "LIKE", Literal("string", "Ad%"))),
        (
            "Id IN ('a', 'b')",
            Comparison("Id", "IN", (Literal("string", "a"), Literal("string", "b"))),
        ),
        ("Id NOT IN ('a')", Comparison("Id", "NOT IN", (Literal("string", "a"),))),
        (
            "A = 1 AND B = 2 AND C = 3",
            BoolOp(
                "AND",
                tuple(
                    Comparison(n, "=", Literal("number", v))
                    for n, v in (("A", 1), ("B", 2), ("C", 3))
                ),
            ),
        ),
        (
            "(A = 1 OR B = 2) AND NOT C = 3",
            BoolOp(
                "AND",
                (
                    BoolOp(
                        "OR",
                        (
                            Comparison("A", "=", Literal("number", 1)),
                            Comparison("B", "=", Literal("number", 2)),
                        ),
                    ),
                    Not(Comparison("C", "=", Literal("number", 3))),
                ),
            ),
        ),
    ],
)
def test_where_conditions(where: str, expected: object) -> None:
    assert parse(f"SELECT Id FROM Contact WHERE {where}").where == expected  # noqa: S608


def test_order_by_limit_and_offset() -> None:
    query = parse("SELECT Id FROM Contact ORDER BY LastName DESC NULLS LAST, Id LIMIT 10 OFFSET 5")
    assert query.order_by == (OrderItem("LastName", True, False), OrderItem("Id", False, None))
    assert (query.limit, query.offset) == (10, 5)


@pytest.mark.parametrize(
    ("quoted", "value"),
    [
        (r"'O\'Neil'", "O'Neil"),
        (r"'say \"hi\"'", 'say "hi"'),
        (r"'back\\slash'", "back\\slash"),
        (r"'line\nbreak\ttab'", "line\nbreak\ttab"),
        (r"'\u00fcber'", "über"),
        (r"'100\%'", "100\\%"),  # LIKE escapes stay escaped for the matcher
    ],
)
def test_string_literal_escapes(quoted: str, value: str) -> None:
    assert unescape(quoted) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SELECT FROM Contact",
        "SELECT Id Contact",
        "SELECT Id FROM Contact WHERE",
        "SELECT Id FROM Contact WHERE Email = ",
        "SELECT Id FROM Contact WHERE Email 'x'",
        "SELECT Id FROM Contact WHERE A = 1 AND B = 2 OR C = 3",
        "SELECT Id FROM Contact WHERE Name LIKE 5",
        "SELECT Id FROM Contact WHERE Email = 'unterminated",
        "SELECT Id FROM Contact WHERE Email = 'bad \\q escape'",
        "SELECT Id FROM Contact LIMIT -1",
        "SELECT Id FROM Contact trailing",
        "SELECT Id FROM Contact WHERE (A = 1",
    ],
)
def test_malformed_queries_raise_syntax_errors(text: str) -> None:
    with pytest.raises(SoqlSyntaxError):
        parse(text)
