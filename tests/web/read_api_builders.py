"""Builders of the read-API tests: field maps on disk, call lists and members in the store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from connector.store import TenantStore
from connector.store.models import CallList, Customer, Membership, Prospect, utcnow

LIST_1 = "00O000000000001AAA"
LIST_2 = "00O000000000002AAA"

FIELD_MAP = """\
customer: {customer}
crm:
  kind: salesforce
  login_url: https://login.salesforce.com
  auth: jwt
  client_id: test-client
  username: integration@example.com
source:
  report_folder: Call_Lists
prospect:
  id: CONTACT_ID
  fields:
    first_name: FIRST_NAME
    last_name: {{column: LAST_NAME, required: true}}
    email: {{column: EMAIL, transform: email}}
"""
MAPPED = ("first_name", "last_name", "email")


def write_field_maps(directory: Path, *customers: str) -> Path:
    """A field map per customer naming first_name, last_name and email (not phone)."""
    directory.mkdir(parents=True, exist_ok=True)
    for customer in customers:
        (directory / f"{customer}.yaml").write_text(FIELD_MAP.format(customer=customer))
    return directory


def crm_id(n: int) -> str:
    return f"003{n:015d}"


def person(n: int, **overrides: Any) -> dict[str, Any]:
    """Store fields of person `n`, phone included (the map does not name it)."""
    return {
        "crm_id": crm_id(n),
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "email": f"person{n}@example.com",
        "phone": f"+1415555{n % 10000:04d}",
        "row_hash": f"{n:064d}",
        "updated_at": utcnow(),
        **overrides,
    }


def seed_lists(
    engine: Engine, customer: str, lists: Sequence[str] = (LIST_1, LIST_2)
) -> TenantStore:
    store = TenantStore(engine, customer)
    with store.session() as session:
        session.add(Customer(customer_id=customer))
        for report_id in lists:
            session.add(
                CallList(
                    customer_id=customer,
                    report_id=report_id,
                    name=f"List {report_id[-4:]}",
                    developer_name=f"List_{report_id[-4:]}",
                    folder_id="00l000000000001AAA",
                )
            )
    return store


def add_members(
    store: TenantStore, report_id: str, people: Sequence[dict[str, Any]], chunk: int = 2000
) -> None:
    """Write prospects and make them members of `report_id`."""
    for start in range(0, len(people), chunk):
        part = people[start : start + chunk]
        with store.session() as session:
            store.upsert(session, Prospect, part, keys=["crm_id"])
            store.upsert(
                session,
                Membership,
                [
                    {"report_id": report_id, "crm_id": p["crm_id"], "added_at": p["updated_at"]}
                    for p in part
                ],
                keys=["report_id", "crm_id"],
            )
