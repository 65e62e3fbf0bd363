"""One customer's people are written by pages and removed by forget, one at a time.

A page of a pull checks the suppression list and writes prospects in one transaction; a
forget finds a subject's rows, deletes them and adds the hashes in another. Each takes this
lock first, so they serialise: a forget committed before a page's check is seen by it, and a
forget that starts while a page is being written waits for that page and then removes what it
wrote. Pages share the lock with each other (each is fenced by the sync lease anyway).

PostgreSQL: a transaction-scoped advisory lock keyed by the customer (shared for pages,
exclusive for forget). SQLite: a database has one writer at a time, so both take the write
lock at once, before reading anything (a no-op update of the customer's row).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

#: The advisory lock class of these locks (any number, the same in every process).
_LOCK_CLASS = 724_312


def lock_subjects(session: Session, customer_id: str, *, exclusive: bool) -> None:
    """Take the customer's people lock for the rest of `session`'s transaction."""
    if session.get_bind().dialect.name == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        session.execute(
            text(f"SELECT {function}(:lock_class, hashtext(:customer))"),
            {"lock_class": _LOCK_CLASS, "customer": customer_id},
        )
        return
    session.execute(
        text("UPDATE customers SET customer_id = customer_id WHERE customer_id = :customer"),
        {"customer": customer_id},
    )
