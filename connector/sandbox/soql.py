"""A small, pure SOQL parser: the subset a sync connector and its tests send.

Grammar (keywords are case-insensitive)::

    query      := SELECT (COUNT '(' ')' | field {',' field}) FROM name
                  [WHERE condition] [ORDER BY order {',' order}] [LIMIT int] [OFFSET int]
    condition  := term {AND term} | term {OR term}     (mixing AND and OR needs parentheses)
    term       := NOT term | '(' condition ')' | field op literal
                | field [NOT] IN '(' literal {',' literal} ')' | field LIKE string
    op         := = | != | <> | < | > | <= | >=
    literal    := 'quoted string' | number | true | false | null | 2024-01-31
                | 2024-01-31T23:59:59Z | 2024-01-31T23:59:59.000+05:30
    order      := field [ASC | DESC] [NULLS FIRST | NULLS LAST]

Anything else raises `SoqlSyntaxError` (the API answers MALFORMED_QUERY). The parser knows
nothing about objects or fields; `query_engine` resolves names and evaluates conditions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

KEYWORDS = frozenset(
    {
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC",
        "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "COUNT", "TRUE", "FALSE", "NULL",
    }
)  # fmt: skip
COMPARISON_OPS = frozenset({"=", "!=", "<", ">", "<=", ">="})
_ESCAPES = {"'": "'", '"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE | re.DOTALL,
)


class SoqlSyntaxError(ValueError):
    """The text is not SOQL this parser understands (the API's MALFORMED_QUERY)."""


@dataclass(frozen=True)
class Literal:
    """A literal value; `kind` is string, number, boolean, null, date or datetime."""

    kind: str
    value: Any


@dataclass(frozen=True)
class Comparison:
    """`field op value`; op is one of = != < > <= >= LIKE IN NOT IN."""

    field: str
    op: str
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class BoolOp:
    """Conjunction (AND) or disjunction (OR) of two or more conditions."""

    op: str
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """Negation of a condition."""

    operand: Condition


Condition = Comparison | BoolOp | Not


@dataclass(frozen=True)
class OrderItem:
    """One ORDER BY term; `nulls_first` None means the default (first for ASC, last for DESC)."""

    field: str
    descending: bool = False
    nulls_first: bool | None = None


@dataclass(frozen=True)
class Query:
    """A parsed SELECT statement."""

    sobject: str
    fields: tuple[str, ...]
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    count_only: bool = False


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int

    @property
    def keyword(self) -> str | None:
        upper = self.text.upper()
        return upper if self.kind == "name" and upper in KEYWORDS else None


def parse(text: str) -> Query:
    """Parse one SOQL statement; raise `SoqlSyntaxError` with a caret-style message on error."""
    return _Parser(text, tokenize(text)).query()


def tokenize(text: str) -> list[_Token]:
    """Split SOQL into tokens, dropping whitespace."""
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise SoqlSyntaxError(
                _caret(text, position, f"unexpected character {text[position]!r}")
            )
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    return tokens


def unescape(quoted: str) -> str:
    """Turn a quoted SOQL string literal into its value; ``\\%`` and ``\\_`` stay escaped."""
    body = quoted[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        nxt = body[index + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            index += 2
        elif nxt in "%_":
            out.append("\\" + nxt)
            index += 2
        elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[index + 2 : index + 6]):
            out.append(chr(int(body[index + 2 : index + 6], 16)))
            index += 6
        else:
            raise SoqlSyntaxError(f"invalid escape sequence \\{nxt} in {quoted}")
    return "".join(out)


def parse_datetime_literal(text: str) -> dt.datetime:
    """Parse ``2024-01-31T23:59:59Z`` / ``...+05:30`` / ``...-0800`` into an aware datetime."""
    normalized = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", normalized):
        normalized = normalized[:-2] + ":" + normalized[-2:]
    try:
        return dt.datetime.fromisoformat(normalized)
    except ValueError as exc:
        raise SoqlSyntaxError(f"invalid datetime literal {text}") from exc


def _caret(text: str, position: int, problem: str) -> str:
    return f"\n{text}\n{' ' * position}^\nERROR at Row:1:Column:{position + 1}\n{problem}"


class _Parser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0

    # -- token helpers -------------------------------------------------------------------
    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _error(self, problem: str) -> SoqlSyntaxError:
        token = self._peek()
        position = token.position if token else len(self.text)
        found = f"unexpected token: '{token.text}'" if token else "unexpected end of query"
        return SoqlSyntaxError(_caret(self.text, position, f"{found} ({problem})"))

    def _next(self) -> _Token:
        token = self._peek()
        if token is None:
            raise self._error("query ends too early")
        self.index += 1
        return token

    def _at_keyword(self, *words: str) -> bool:
        token = self._peek()
        return token is not None and token.keyword in words

    def _expect_keyword(self, word: str) -> None:
        if not self._at_keyword(word):
            raise self._error(f"expected {word}")
        self.index += 1

    def _expect_punct(self, char: str) -> None:
        token = self._peek()
        if token is None or token.text != char:
            raise self._error(f"expected '{char}'")
        self.index += 1

    def _at_punct(self, char: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == "punct" and token.text == char

    def _field(self) -> str:
        token = self._next()
        if token.kind != "name" or token.keyword is not None:
            self.index -= 1
            raise self._error("expected a field name")
        return token.text

    def _integer(self) -> int:
        token = self._next()
        if token.kind != "number" or not token.text.isdigit():
            self.index -= 1
            raise self._error("expected a non-negative integer")
        return int(token.text)

    # -- grammar -------------------------------------------------------------------------
    def query(self) -> Query:
        self._expect_keyword("SELECT")
        count_only, fields = self._select_list()
        self._expect_keyword("FROM")
        sobject = self._field()
        if "." in sobject:
            raise self._error("expected an object name")
        where = None
        if self._at_keyword("WHERE"):
            self.index += 1
            where = self._condition()
        order_by: tuple[OrderItem, ...] = ()
        if self._at_keyword("ORDER"):
            self.index += 1
            self._expect_keyword("BY")
            order_by = self._order_list()
        limit = offset = None
        if self._at_keyword("LIMIT"):
            self.index += 1
            limit = self._integer()
        if self._at_keyword("OFFSET"):
            self.index += 1
            offset = self._integer()
        if self._peek() is not None:
            raise self._error("expected end of query")
        return Query(sobject, fields, where, order_by, limit, offset, count_only)

    def _select_list(self) -> tuple[bool, tuple[str, ...]]:
        if self._at_keyword("COUNT"):
            self.index += 1
            self._expect_punct("(")
            self._expect_punct(")")
            return True, ()
        fields = [self._field()]
        while self._at_punct(","):
            self.index += 1
            fields.append(self._field())
        return False, tuple(fields)

    def _order_list(self) -> tuple[OrderItem, ...]:
        items = [self._order_item()]
        while self._at_punct(","):
            self.index += 1
            items.append(self._order_item())
        return tuple(items)

    def _order_item(self) -> OrderItem:
        field = self._field()
        descending = False
        if self._at_keyword("ASC", "DESC"):
            descending = self._next().keyword == "DESC"
        nulls_first = None
        if self._at_keyword("NULLS"):
            self.index += 1
            if not self._at_keyword("FIRST", "LAST"):
                raise self._error("expected FIRST or LAST")
            nulls_first = self._next().keyword == "FIRST"
        return OrderItem(field, descending, nulls_first)

    def _condition(self) -> Condition:
        terms = [self._term()]
        connective: str | None = None
        while self._at_keyword("AND", "OR"):
            word = self._next().keyword
            if connective is not None and word != connective:
                self.index -= 1
                raise self._error("use parentheses to mix AND and OR")
            connective = word
            terms.append(self._term())
        if connective is None:
            return terms[0]
        return BoolOp(connective, tuple(terms))

    def _term(self) -> Condition:
        if self._at_keyword("NOT"):
            self.index += 1
            return Not(self._term())
        if self._at_punct("("):
            self.index += 1
            inner = self._condition()
            self._expect_punct(")")
            return inner
        field = self._field()
        return self._predicate(field)

    def _predicate(self, field: str) -> Condition:
        token = self._peek()
        if token is not None and token.kind == "op":
            self.index += 1
            op = "!=" if token.text == "<>" else token.text
            return Comparison(field, op, self._literal())
        if self._at_keyword("LIKE"):
            self.index += 1
            value = self._literal()
            if value.kind != "string":
                raise self._error("LIKE needs a quoted string")
            return Comparison(field, "LIKE", value)
        negated = False
        if self._at_keyword("NOT"):
            self.index += 1
            negated = True
        if self._at_keyword("IN"):
            self.index += 1
            return Comparison(field, "NOT IN" if negated else "IN", self._literal_list())
        raise self._error("expected an operator")

    def _literal_list(self) -> tuple[Literal, ...]:
        self._expect_punct("(")
        values = [self._literal()]
        while self._at_punct(","):
            self.index += 1
            values.append(self._literal())
        self._expect_punct(")")
        return tuple(values)

    def _literal(self) -> Literal:
        token = self._next()
        if token.kind == "string":
            return Literal("string", unescape(token.text))
        if token.kind == "number":
            number = float(token.text) if "." in token.text else int(token.text)
            return Literal("number", number)
        if token.kind == "date":
            try:
                return Literal("date", dt.date.fromisoformat(token.text))
            except ValueError as exc:
                raise SoqlSyntaxError(f"invalid date literal {token.text}") from exc
        if token.kind == "datetime":
            return Literal("datetime", parse_datetime_literal(token.text))
        if token.keyword in {"TRUE", "FALSE"}:
            return Literal("boolean", token.keyword == "TRUE")
        if token.keyword == "NULL":
            return Literal("null", None)
        self.index -= 1
        raise self._error("expected a literal value")
