"""Builders for privacy tests: a customer with rows in every tenant table, a fake CRM."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from connector.crm.base import CallCounter, ReportPage, ReportRef
from connector.privacy.keys import customer_cipher
from connector.store import TenantStore
from connector.store.models import (
    TENANT_TABLES,
    Activity,
    AuditEvent,
    CallList,
    Checkpoint,
    Connection,
    ConnectLink,
    Customer,
    Lease,
    MemberRemoval,
    Membership,
    Prospect,
    RejectedRow,
    ResyncRequest,
    ScheduleState,
    Suppression,
    SyncRun,
)
from tests.helpers.stores import owner_of

REPORT_ID = "00O000000000001AAA"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    crm_id: str
    email: str
    phone: str
    first_name: str = "Ada"
    last_name: str = "Lovelace"


ADA = Person("003000000000001AAA", "Ada.Lovelace@Example.com", "+14155550101")
BOB = Person("003000000000002AAA", "bob@example.com", "+14155550102", "Bob", "Builder")
CAROL = Person("003000000000003AAA", "carol@example.com", "+14155550103", "Carol", "Danvers")
PEOPLE = (ADA, BOB, CAROL)


def seed_customer(
    engine: Engine, customer: str, people: Sequence[Person] = PEOPLE, *, data_key: bool = True
) -> TenantStore:
    """A customer with at least one row in every tenant table (asserted, so new tables fail;
    without `data_key`, all but the data key's)."""
    store = TenantStore(engine, customer)
    run_id = f"run{customer}"
    rows: list[SQLModel] = [
        Customer(customer_id=customer),
        Connection(
            customer_id=customer,
            auth="jwt",
            login_url="https://login.example.com",
            refresh_token_enc="SECRET-refresh",
            private_key_enc="SECRET-key",
            access_token_enc="SECRET-access",
        ),
        CallList(
            customer_id=customer,
            report_id=REPORT_ID,
            name="List",
            developer_name="List",
            folder_id="00l000000000001AAA",
        ),
        SyncRun(customer_id=customer, run_id=run_id, kind="pull"),
        Checkpoint(customer_id=customer, run_id=run_id, report_id=REPORT_ID, last_key="x"),
        RejectedRow(
            customer_id=customer, run_id=run_id, report_id=REPORT_ID, crm_id=ADA.crm_id, reason="r"
        ),
        AuditEvent(customer_id=customer, event_id=f"ev{customer}", actor="test", action="seed"),
        Suppression(customer_id=customer, subject_hash="0" * 64, kind="email"),
        Lease(customer_id=customer, holder="w1", token=1),
        MemberRemoval(
            customer_id=customer,
            report_id=REPORT_ID,
            crm_id="003000000000099AAA",
            removed_at=NOW,
            reason="left",
        ),
        ResyncRequest(customer_id=customer, request_id=f"rq{customer}", source="webhook"),
        ScheduleState(customer_id=customer),
        ConnectLink(
            customer_id=customer,
            link_id=f"link{customer}",
            token_hash=f"{customer:0>64}",
            verifier_enc="SECRET-verifier",
            login_url="https://login.example.com",
            client_id="app",
            created_by="test",
            expires_at=NOW,
        ),
    ]
    for index, person in enumerate(people):
        rows.append(
            Prospect(
                customer_id=customer,
                crm_id=person.crm_id,
                email=person.email,
                phone=person.phone,
                first_name=person.first_name,
                last_name=person.last_name,
                row_hash="h",
            )
        )
        rows.append(Membership(customer_id=customer, report_id=REPORT_ID, crm_id=person.crm_id))
        for age_days in (10, 500):
            rows.append(
                Activity(
                    customer_id=customer,
                    activity_id=f"{customer}-{index}-{age_days}",
                    kind="call",
                    prospect_crm_id=person.crm_id,
                    occurred_at=NOW - timedelta(days=age_days),
                )
            )
    with store.session() as session:
        session.add_all(rows)
    # the prospects above are plaintext, as a store from before field encryption holds them;
    # the data key is made as a first pull would make it
    if data_key:
        customer_cipher(store, create=True)
    counts = store.table_counts()
    empty = [model.__tablename__ for model in TENANT_TABLES if not counts[model.__tablename__]]
    if not data_key:
        empty.remove("customer_data_keys")
    assert not empty, f"seed_customer does not cover {empty}: add rows for them"
    return store


def rows_of(engine: Engine, customer: str) -> dict[str, int]:
    """Rows naming `customer` in every table with a customer_id column, read with raw SQL
    outside any tenant context (as the database owner)."""
    found: dict[str, int] = {}
    with owner_of(engine).connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if "customer_id" not in table.c:
                continue
            count = conn.execute(
                text(f"SELECT count(*) FROM {table.name} WHERE customer_id = :c"),  # noqa: S608
                {"c": customer},
            ).scalar_one()
            found[table.name] = int(count)
    return found


def report_row(person: Person) -> dict[str, Any]:
    """The report row the CRM returns for `person` (demo field map columns)."""
    return {
        "CONTACT_ID": person.crm_id,
        "FIRST_NAME": person.first_name,
        "LAST_NAME": person.last_name,
        "EMAIL": person.email,
        "PHONE1": person.phone,
        "TITLE": "Engineer",
        "ACCOUNT.NAME": "Analytical Engines",
        "MAILING_COUNTRY": "UK",
    }


@dataclass
class FakeCrm:
    """An in-memory CrmAdapter with one report that keeps returning the same people."""

    people: Sequence[Person]
    counter: CallCounter = field(default_factory=CallCounter)
    report: ReportRef = field(
        default_factory=lambda: ReportRef(REPORT_ID, "Call list", "Call_List", "00l000000000001AAA")
    )

    def list_reports(self, folder: str) -> list[ReportRef]:
        return [self.report]

    def describe_report_columns(self, report: ReportRef) -> dict[str, str]:
        return {**dict.fromkeys(report_row(self.people[0]), "string"), "CONTACT_ID": "id"}

    def iter_report_pages(
        self, report: ReportRef, id_column: str, columns: Sequence[str], after: str | None = None
    ) -> Iterator[ReportPage]:
        rows = sorted(
            ({c: report_row(p)[c] for c in columns} for p in self.people),
            key=lambda row: row[id_column],
        )
        rows = [row for row in rows if after is None or row[id_column] > after]
        yield ReportPage(rows=rows, cursor=rows[-1][id_column] if rows else after, done=True)

    def describe_object_fields(self, sobject: str) -> dict[str, Any]:
        return {}

    def upsert_activities(self, sobject: str, external_id_field: str, records: Any) -> list[Any]:
        return []
