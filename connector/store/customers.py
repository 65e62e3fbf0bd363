"""Which customers exist: the one check every command and endpoint naming a customer makes.

A customer is known when it has a field map (other than the shipped `example`) or rows in the
store (a customer row, a connection, prospects, activities or runs). Audit events and
suppressions do not count, so a row left by a mistyped name never makes the name known. An
erased customer id is refused as erased, not as unknown. On PostgreSQL the ids are read
through the store's cross-customer functions, since row-level security hides every other read.

Errors: `ConfigError` for an unknown or erased customer, `PartitionViolation` for a malformed
id, `StoreError` when the database cannot be read.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connector.errors import ConfigError, StoreError
from connector.fieldmap.loader import available_customers
from connector.store.admin import AdminStore, as_utc
from connector.store.base import check_customer_id
from connector.store.connections import connected_customer_ids
from connector.store.models import Activity, Connection, Customer, Prospect, SyncRun

#: The field map shipped as a template; it names no customer.
TEMPLATE_MAP = "example"


def stored_customer_ids(engine: Engine) -> set[str]:
    """Customers the store holds a customer row, connection, prospect, activity or run of.

    Raises StoreError (one line, no SQL) when the database fails.
    """
    try:
        if engine.dialect.name == "postgresql":
            return set(AdminStore(engine).customer_ids()) | set(connected_customer_ids(engine))
        tables: tuple[Any, ...] = (Customer, Connection, Prospect, Activity, SyncRun)
        query = union(*(select(table.__table__.c.customer_id) for table in tables))
        with Session(engine) as session:
            return {row[0] for row in session.execute(query)}
    except StoreError:
        raise
    except Exception as exc:  # the driver's own exception types vary
        cause = (str(exc).splitlines() or [type(exc).__name__])[0].split("[SQL:")[0].strip()
        raise StoreError(f"cannot read the customers from the store: {cause}") from exc


def known_customer_ids(engine: Engine | None, field_maps_dir: Path) -> list[str]:
    """Every known customer (a field map or stored rows), sorted; maps only without `engine`."""
    names = set(available_customers(Path(field_maps_dir))) - {TEMPLATE_MAP}
    if engine is not None:
        names |= stored_customer_ids(engine)
    return sorted(names)


def unknown_customer(customer: str, known: Iterable[str]) -> ConfigError:
    """The refusal for a name not in `known`, suggesting the closest names."""
    known = sorted(known)
    close = difflib.get_close_matches(customer, known, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(name) for name in close)}? " if close else ""
    listed = ", ".join(known) or "none yet"
    return ConfigError(
        f"unknown customer {customer!r}: no field map, connection or stored data; {hint}"
        f"(known: {listed}; a new customer starts as a copy of field_maps/example.yaml "
        f"named field_maps/{customer}.yaml)"
    )


def require_known_customer(engine: Engine | None, field_maps_dir: Path, customer: str) -> None:
    """Refuse a malformed, erased or unknown customer (see the module docstring)."""
    check_customer_id(customer)
    known = known_customer_ids(engine, field_maps_dir)
    if customer in known:
        return
    if engine is not None:
        record = AdminStore(engine).get_erasure(customer)
        if record is not None and record.done_at is not None:
            raise ConfigError(
                f"customer {customer!r} was erased on {as_utc(record.done_at):%Y-%m-%d %H:%M} "
                "UTC; nothing is done for an erased customer id, onboard again under a new id",
                customer=customer,
            )
    raise unknown_customer(customer, known)
