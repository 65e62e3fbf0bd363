"""Personal data stays in the prospect row: random people pushed through every path.

Each example makes up people with random names, emails and phone numbers and sends them
through a pull whose rows are partly rejected and which the CRM then fails with an error
quoting them, the platform's activity API (with a subject naming one of them), the log, the
audit trail and the metrics. Then the person is forgotten. The database, the WAL, every log
line, the audit trail and the metrics text are searched for each value.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from connector.crm.base import CallCounter, ReportPage, ReportRef
from connector.errors import ConnectorError, CrmRejected
from connector.fieldmap.loader import parse_field_map_text
from connector.privacy.forget import forget_subject
from connector.privacy.subjects import parse_subject
from connector.privacy.suppression import SuppressionKeys
from connector.store import TenantStore, make_engine, migrate
from connector.sync.pull import PullOptions, pull
from connector.web import create_app
from connector.web.settings import WebSettings

REPORT = ReportRef("00O000000000001AAA", "Call list", "Call_List", "00l000000000001AAA")
FIELD_MAP = """\
customer: acme
crm: {kind: salesforce, login_url: "https://login.salesforce.com", auth: jwt,
      client_id: test, username: integration@example.com}
source: {report_folder: Call_Lists}
prospect:
  id: CONTACT_ID
  fields:
    first_name: FIRST_NAME
    last_name: {column: LAST_NAME, required: true}
    email: {column: EMAIL, transform: email}
    phone: {column: PHONE1, transform: phone, region: US}
    status: {column: STATUS, transform: picklist, values: {Hot: hot, Cold: cold}}
"""
FM = parse_field_map_text(FIELD_MAP)
TOKEN = "bootstrap-token-for-the-property-test"


@dataclass(frozen=True)
class Person:
    crm_id: str
    first: str
    last: str
    email: str
    phone: str  # E.164

    def values(self) -> list[str]:
        """What must not leak: email, full name, the phone as stored and as digits."""
        return [self.email, f"{self.first} {self.last}", self.phone, self.phone[2:]]


name = st.from_regex(r"[A-Z][a-z]{6,9}", fullmatch=True)


@st.composite
def people(draw: st.DrawFn) -> list[Person]:
    """Three people who share no name, email or phone (so a leak is one person's)."""
    names = draw(st.lists(name, min_size=6, max_size=6, unique_by=str.lower))
    users = draw(
        st.lists(st.from_regex(r"[a-z]{6,10}", fullmatch=True), min_size=3, max_size=3, unique=True)
    )
    lines = draw(st.lists(st.integers(100, 199), min_size=3, max_size=3, unique=True))
    return [
        Person(
            f"003{n:012d}AAA",
            names[2 * n],
            names[2 * n + 1],
            f"{users[n]}.{names[2 * n + 1].lower()}@example.com",
            f"+1415555{lines[n]:04d}",
        )
        for n in range(3)
    ]


class RowsCrm:
    """One report holding `rows`; the pull fails after the page with an error quoting `quote`."""

    def __init__(self, rows: Sequence[dict[str, Any]], quote: str) -> None:
        self.rows, self.quote, self.counter = rows, quote, CallCounter()

    def list_reports(self, folder: str) -> list[ReportRef]:
        return [REPORT]

    def describe_report_columns(self, report: ReportRef) -> dict[str, str]:
        # the record-id column is id-typed, as a real report describes it
        return {c: "id" if c == FM.prospect.id else "string" for c in self.rows[0]}

    def iter_report_pages(
        self, report: ReportRef, id_column: str, columns: Sequence[str], after: str | None = None
    ) -> Iterator[ReportPage]:
        yield ReportPage(rows=list(self.rows), cursor=self.rows[-1][id_column], done=False)
        raise CrmRejected(f"INVALID_FIELD: record {self.quote} refused", code="INVALID_FIELD")

    def describe_object_fields(self, sobject: str) -> dict[str, Any]:
        return {}

    def upsert_activities(self, sobject: str, external_id_field: str, records: Any) -> list[Any]:
        return []


def report_rows(kept: Person, rejected: Person, other: Person) -> list[dict[str, Any]]:
    def row(p: Person, **over: str) -> dict[str, Any]:
        base = {
            "CONTACT_ID": p.crm_id,
            "FIRST_NAME": p.first,
            "LAST_NAME": p.last,
            "EMAIL": p.email,
            "PHONE1": p.phone,
            "STATUS": "Hot",
        }
        return {**base, **over}

    return [
        row(kept),
        # every failing field quotes the person: a picklist value, an email, a phone
        row(
            rejected,
            EMAIL=f"{rejected.first} {rejected.email}",
            PHONE1=f"call {rejected.phone[2:]}x",
            STATUS=f"{rejected.first} {rejected.last}",
        ),
        row(other),
    ]


def dump(engine: Engine, skip_prospects: bool) -> str:
    """Every value of every table as text (the prospects table left out when asked)."""
    parts: list[str] = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if skip_prospects and table.name == "prospects":
                continue
            parts += [repr(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {table.name}"))]  # noqa: S608
    return "\n".join(parts)


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def leaks(values: Sequence[str], haystack: str) -> list[str]:
    low = haystack.lower()
    return [v for v in values if v.lower() in low]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people())
def test_personal_values_appear_nowhere_but_the_prospect_row(made: list[Person]) -> None:
    kept, rejected, other = made
    capture = Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        with tempfile.TemporaryDirectory() as directory:
            engine = make_engine(f"sqlite:///{Path(directory) / 'store.db'}")
            migrate(engine)
            store = TenantStore(engine, "acme")
            store.ensure_customer()
            crm = RowsCrm(report_rows(kept, rejected, other), f"{kept.email} {rejected.phone}")
            with pytest.raises(ConnectorError):
                pull(FM, store, crm, PullOptions())  # type: ignore[arg-type]
            app = create_app(engine, web_settings=WebSettings(operator_token=SecretStr(TOKEN)))
            client = TestClient(app)
            activity = {
                "id": str(uuid.uuid4()),
                "kind": "call",
                "prospect_crm_id": other.crm_id,
                "occurred_at": "2026-01-01T10:00:00Z",
                "subject": f"Call {other.first} about {kept.first} {kept.last}, {kept.email}",
            }
            posted = client.post(
                "/api/customers/acme/activities",
                json=[activity],
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert posted.status_code == 202

            # before forgetting: the rejected person is nowhere; the kept person's email and
            # phone are only in the prospect row (the activity subject is the platform's text)
            outside = dump(engine, skip_prospects=True)
            assert leaks(rejected.values(), outside) == []
            assert leaks([kept.phone, kept.phone[2:]], outside) == []

            forget_subject(
                store, parse_subject("email", kept.email), "test", SuppressionKeys((b"k" * 32,))
            )
            metrics = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
            engine.dispose()
            everything = dump(make_engine(f"sqlite:///{Path(directory) / 'store.db'}"), False)
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)

    for person in (kept, rejected):
        assert leaks(person.values(), everything) == [], "in the store"
        assert leaks(person.values(), "\n".join(capture.lines)) == [], "in the log"
        assert leaks(person.values(), metrics) == [], "in the metrics"
