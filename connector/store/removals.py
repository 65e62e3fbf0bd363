"""The removal log: members that left a call list, for the read API's change feed.

Wherever memberships are deleted the deleted members are logged in `member_removals` in the
same transaction, by CRM id only: the pull's page (`page_sql`, inside its delete), a call list
that left the folder (`list_retired`) and a forget (`forgotten`). `log_removals` is the one
statement for the last two: it copies the members about to be deleted into the log, so it runs
just before their delete. A member removed twice keeps one row, with the latest time and reason.

The log is read by `read_rows.ReadRowsMixin.change_page` and pruned by the retention pass
(`delete_removals_before`); an erasure deletes it with the rest of the customer's partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, literal
from sqlalchemy import select as select_columns
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from connector.store.base import TenantStoreBase, insert_into
from connector.store.models import MemberRemoval, Membership, utcnow

#: Why a member left: the CRM's report no longer holds it, the person was forgotten, or the
#: report left the customer's folder.
REASONS = ("left", "forgotten", "list_retired")


def log_removals(
    session: Session,
    customer_id: str,
    reason: str,
    *where: ColumnElement[bool],
    now: datetime | None = None,
) -> int:
    """Log the customer's memberships matching `where` as removed for `reason` (one
    statement, before they are deleted); returns how many were logged."""
    if reason not in REASONS:
        raise ValueError(f"unknown removal reason {reason!r}")
    members = select_columns(
        col(Membership.customer_id),
        col(Membership.report_id),
        col(Membership.crm_id),
        literal(now or utcnow(), MemberRemoval.__table__.c.removed_at.type),  # type: ignore[attr-defined]
        literal(reason),
    ).where(col(Membership.customer_id) == customer_id, *where)
    table = MemberRemoval.__table__  # type: ignore[attr-defined]
    stmt = insert_into(session.get_bind(), table).from_select(
        ["customer_id", "report_id", "crm_id", "removed_at", "reason"], members
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["customer_id", "report_id", "crm_id"],
        set_={"removed_at": stmt.excluded.removed_at, "reason": stmt.excluded.reason},
    )
    result = session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


class RemovalsMixin(TenantStoreBase):
    """The customer's removal log: what was logged, and pruning it."""

    def removals(self, report_id: str | None = None) -> Sequence[MemberRemoval]:
        """The logged removals (of one call list, if given), in removal order."""
        with self.session() as session:
            stmt = select(MemberRemoval).order_by(
                col(MemberRemoval.removed_at), col(MemberRemoval.crm_id)
            )
            if report_id is not None:
                stmt = stmt.where(col(MemberRemoval.report_id) == report_id)
            return list(session.exec(stmt))

    def delete_removals_before(self, cutoff: datetime) -> int:
        """Forget removals logged before `cutoff` (the change log's horizon); returns how many."""
        with self.session() as session:
            return self._delete_removals_before(session, cutoff)

    @staticmethod
    def _delete_removals_before(session: Session, cutoff: datetime) -> int:
        result = session.execute(
            delete(MemberRemoval).where(col(MemberRemoval.removed_at) < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)
