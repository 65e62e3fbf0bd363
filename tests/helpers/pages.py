"""A pull's page as a sync saves it, for tests of what pages add and remove."""

from __future__ import annotations

from collections.abc import Iterable

from connector.store import TenantStore
from connector.store.pull_rows import PageOutcome


def page_id(n: int) -> str:
    """The CRM id of person `n` (18 characters, in the order of `n`)."""
    return f"003{n:012d}AAA"


def person_fields(n: int) -> dict[str, str | None]:
    """Person `n`'s store fields: first name, last name, email."""
    return {"first_name": f"First{n}", "last_name": f"Last{n}", "email": f"p{n}@example.com"}


def pull_page(store: TenantStore, report_id: str, people: Iterable[int]) -> PageOutcome:
    """One complete page of `report_id` holding exactly the people `people` (first name, last
    name and email each), so members it no longer holds are removed."""
    mapped = [
        (
            page_id(n),
            {"first_name": f"First{n}", "last_name": f"Last{n}", "email": f"p{n}@example.com"},
        )
        for n in people
    ]
    return store.save_page(
        run_id="run1",
        report_id=report_id,
        after=None,
        cursor=None,
        done=True,
        rows_read=len(mapped),
        mapped=mapped,
        rejects=[],
    )
