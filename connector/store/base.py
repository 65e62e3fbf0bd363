"""The partition wall: sessions bound to one customer.

`TenantStoreBase.session()` opens a session whose every ORM query is filtered to the
customer (`with_loader_criteria` on `TenantRow`), whose flushes refuse rows of another
customer, and which on PostgreSQL also runs under row-level security. Domain methods are
added by the mixins in this package; all of them go through `session()` or `upsert()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, TableClause, event, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.sql import ClauseElement, visitors
from sqlmodel import Session, col

from connector.errors import LeaseLost, PartitionViolation, StoreError
from connector.store.models import TENANT_TABLES, Customer, Lease, TenantRow, utcnow
from connector.store.rls import enter_tenant

CUSTOMER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")
#: Words the web app's routes use (`/hooks/salesforce/{customer}`, `/hooks/{customer}/resync`).
RESERVED_CUSTOMER_IDS = frozenset({"salesforce", "resync", "api", "hooks", "healthz", "metrics"})
_SESSION_KEY = "connector.customer_id"


def check_customer_id(customer_id: str) -> str:
    """Return `customer_id` if it is a valid partition key, else raise PartitionViolation."""
    if not isinstance(customer_id, str) or not CUSTOMER_ID.match(customer_id):
        raise PartitionViolation(
            f"invalid customer id {customer_id!r}: use 2-63 lowercase letters, digits, - or _"
        )
    if customer_id in RESERVED_CUSTOMER_IDS:
        raise PartitionViolation(f"customer id {customer_id!r} is reserved; choose another")
    return customer_id


def _tenant_models_in(state: ORMExecuteState) -> set[type[TenantRow]]:
    """The tenant tables a statement touches anywhere: as entities, as plain FROMs, in joins
    and in subqueries (each gets the customer's criteria; a table found in a subquery too is
    only ever filtered more, never less).

    A walk over the statement's elements, not `Select.get_final_froms()`: that one runs the
    statement's whole ORM compile each time it is asked, uncached (0.3-1.7 ms of CPU per
    warm read on SQLite), where the walk costs tens of microseconds."""
    models = {m.class_ for m in state.all_mappers if issubclass(m.class_, TenantRow)}
    statement = state.statement
    for element in visitors.iterate(statement) if isinstance(statement, ClauseElement) else ():
        if isinstance(element, TableClause):  # a Table, annotated by the ORM or not
            model = _MODEL_BY_TABLE.get(element.name)
            if model is not None:
                models.add(model)
    return models


_MODEL_BY_TABLE: dict[str, type[TenantRow]] = {
    str(model.__tablename__): model for model in TENANT_TABLES
}


@event.listens_for(Session, "do_orm_execute")
def _filter_to_customer(state: ORMExecuteState) -> None:
    customer_id = state.session.info.get(_SESSION_KEY)
    if customer_id is None:
        return
    if state.is_select or state.is_update or state.is_delete:
        options = [
            with_loader_criteria(model, model.customer_id == customer_id)
            for model in _tenant_models_in(state)
        ]
        if options:
            state.statement = state.statement.options(*options)


@event.listens_for(Session, "before_flush")
def _refuse_foreign_rows(session: Session, _context: Any, _instances: Any) -> None:
    customer_id = session.info.get(_SESSION_KEY)
    if customer_id is None:
        return
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantRow) and obj.customer_id != customer_id:
            raise PartitionViolation(
                f"a {type(obj).__name__} row of customer {obj.customer_id!r} was written "
                f"through the store of customer {customer_id!r}"
            )


def insert_into(bind: Engine | Connection, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` in the bind's dialect (PostgreSQL or SQLite), so that it can
    carry an ON CONFLICT clause (`on_conflict_do_update`, `on_conflict_do_nothing`)."""
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


@contextmanager
def transaction(engine: Engine, scope: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error; driver errors become
    StoreError naming `scope` (those of statements run on the driver's own cursor, as a
    pull's pages are, as well as SQLAlchemy's). Tenant and admin sessions both start here."""
    session = Session(engine, expire_on_commit=False)
    driver_error = engine.dialect.loaded_dbapi.Error
    try:
        yield session
        session.commit()
    except (SQLAlchemyError, driver_error) as exc:
        session.rollback()
        raise StoreError(f"store error for {scope}: {exc}") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class TenantStoreBase:
    """The one handle on one customer's rows."""

    def __init__(self, engine: Engine, customer_id: str) -> None:
        self.engine = engine
        self.customer_id = check_customer_id(customer_id)

    def __repr__(self) -> str:
        return f"TenantStore({self.customer_id!r})"

    @contextmanager
    def session(self, fence: int | None = None) -> Iterator[Session]:
        """A transaction limited to this customer; commits on success, rolls back on error.

        With a `fence` (a lease's fencing token) the transaction first touches the lease row
        and commits only while that token is current: on PostgreSQL the row lock makes a
        concurrent takeover wait for our commit, on SQLite the write lock does the same.
        Raises LeaseLost (and rolls back) when another worker took the lease over.
        """
        with transaction(self.engine, f"customer {self.customer_id!r}") as session:
            session.info[_SESSION_KEY] = self.customer_id
            if self.engine.dialect.name == "postgresql":
                enter_tenant(session.connection(), self.customer_id)
            if fence is not None:
                self._check_fence(session, fence)
            yield session

    def _check_fence(self, session: Session, token: int) -> None:
        result = session.execute(
            update(Lease)
            .where(col(Lease.customer_id) == self.customer_id, col(Lease.token) == token)
            .values(token=col(Lease.token))
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise LeaseLost(
                f"lease token {token} is no longer current; another worker took over",
                customer=self.customer_id,
            )

    def set_customer_status(self, status: str, reason: str | None = None) -> None:
        """Mark the customer active, paused or waiting for a reconnect (one upsert: the
        customer's row is made if it has none)."""
        row = {"status": status, "status_reason": reason, "updated_at": utcnow()}
        with self.session() as session:
            self.upsert(session, Customer, [row], keys=[])

    def upsert(
        self,
        session: Session,
        model: type[TenantRow],
        rows: Sequence[Mapping[str, Any]],
        keys: Sequence[str],
        only_if: ColumnElement[bool] | None = None,
    ) -> None:
        """Insert `rows` or update them on a key conflict, in one statement (no read first, so
        two writers of a new row never race to insert it); every row is stamped as ours.

        The update sets only the columns the rows name, and only where `only_if` (a condition
        on the stored row) holds, when given."""
        if not rows:
            return
        values = []
        for row in rows:
            owner = row.get("customer_id", self.customer_id)
            if owner != self.customer_id:
                raise PartitionViolation(
                    f"upsert of a {model.__name__} row of customer {owner!r} through the "
                    f"store of customer {self.customer_id!r}"
                )
            values.append({**row, "customer_id": self.customer_id})
        stmt = insert_into(self.engine, model.__table__)  # type: ignore[attr-defined]
        index = ["customer_id", *keys]
        update = {col: getattr(stmt.excluded, col) for col in values[0] if col not in index}
        if update:
            stmt = stmt.on_conflict_do_update(index_elements=index, set_=update, where=only_if)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=index)
        session.execute(stmt, values)
