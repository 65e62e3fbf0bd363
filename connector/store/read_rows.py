"""Reads of the platform's API: a call list's members, page by page, and what changed.

Both reads are keyset pages, so memory and work per page do not grow with the list:

- members in CRM-id order, after a given id;
- changes in (changed at, CRM id) order, after a given position, where a member "changed"
  when its prospect row was last written or when it joined the list, whichever is later, and
  a member that left the list (or was forgotten) changed when its removal was logged
  (`removals`). A removed member that is back in the list comes as the member, not as the
  removal, so each CRM id has one place in the order: its latest state.

Only members whose prospect row exists are returned with their fields: a forgotten person's
row is deleted, so they never appear but as a removal (CRM id only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, collate, exists, or_
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from connector.store.admin import as_utc
from connector.store.base import TenantStoreBase
from connector.store.models import MemberRemoval, Membership, Prospect


@dataclass(frozen=True)
class ChangePosition:
    """A place in a call list's change order: after `crm_id` at `at`."""

    at: datetime
    crm_id: str


@dataclass(frozen=True)
class Change:
    """One entry of a change feed: a member as it is now, or (`prospect` None) its removal."""

    crm_id: str
    at: datetime
    prospect: Prospect | None

    @property
    def position(self) -> ChangePosition:
        return ChangePosition(self.at, self.crm_id)


def changed_at() -> ColumnElement[datetime]:
    """When a member last changed: its prospect's write or its joining, whichever is later."""
    return case(
        (col(Prospect.updated_at) > col(Membership.added_at), col(Prospect.updated_at)),
        else_=col(Membership.added_at),
    )


class ReadRowsMixin(TenantStoreBase):
    """Keyset pages over one customer's call-list members."""

    def member_page(self, report_id: str, after: str | None, limit: int) -> list[Prospect]:
        """Up to `limit` members of `report_id` with a CRM id above `after`, in id order."""
        stmt = self._members(report_id).order_by(self._id_order(col(Membership.crm_id)))
        stmt = stmt.limit(limit)
        if after is not None:
            stmt = stmt.where(self._id_after(col(Membership.crm_id), after))
        with self.session() as session:
            return list(session.exec(stmt))

    def change_page(
        self, report_id: str, since: ChangePosition, until: datetime, limit: int
    ) -> list[Change]:
        """Up to `limit` changes of `report_id` after `since` and no later than `until`, in
        change order: members written or added, and members removed (two keyset reads of at
        most `limit` rows each, merged)."""
        changed = changed_at()
        members = (
            select(Prospect, changed)
            .join(
                Membership,
                and_(
                    col(Membership.customer_id) == col(Prospect.customer_id),
                    col(Membership.crm_id) == col(Prospect.crm_id),
                ),
            )
            .where(
                col(Membership.report_id) == report_id,
                *self._after(changed, col(Prospect.crm_id), since, until),
            )
            .order_by(changed, self._id_order(col(Prospect.crm_id)))
            .limit(limit)
        )
        back = exists().where(
            col(Membership.customer_id) == col(MemberRemoval.customer_id),
            col(Membership.report_id) == col(MemberRemoval.report_id),
            col(Membership.crm_id) == col(MemberRemoval.crm_id),
        )
        removed_at = col(MemberRemoval.removed_at)
        removals = (
            select(MemberRemoval.crm_id, MemberRemoval.removed_at)
            .where(
                col(MemberRemoval.report_id) == report_id,
                ~back,
                *self._after(removed_at, col(MemberRemoval.crm_id), since, until),
            )
            .order_by(removed_at, self._id_order(col(MemberRemoval.crm_id)))
            .limit(limit)
        )
        with self.session() as session:
            found = [Change(p.crm_id, as_utc(at), p) for p, at in session.exec(members)]
            found += [Change(crm_id, as_utc(at), None) for crm_id, at in session.exec(removals)]
        # CRM ids are ASCII, so Python's order is the binary order the database sorted by
        found.sort(key=lambda change: (change.at, change.crm_id))
        return found[:limit]

    def _after(
        self, at: Any, crm_id: Any, since: ChangePosition, until: datetime
    ) -> tuple[ColumnElement[bool], ...]:
        """`(at, crm_id) > since` and `at <= until`, for a change-order keyset read."""
        return (
            at <= until,
            or_(at > since.at, and_(at == since.at, self._id_after(crm_id, since.crm_id))),
        )

    def find_prospect(self, crm_id: str, report_id: str | None = None) -> Prospect | None:
        """One prospect by CRM id; with `report_id`, only if it is a member of that list."""
        with self.session() as session:
            if report_id is None:
                return session.get(Prospect, (self.customer_id, crm_id))
            stmt = self._members(report_id).where(col(Membership.crm_id) == crm_id)
            return session.exec(stmt).first()

    def _members(self, report_id: str) -> SelectOfScalar[Prospect]:
        return (
            select(Prospect)
            .join(
                Membership,
                and_(
                    col(Membership.customer_id) == col(Prospect.customer_id),
                    col(Membership.crm_id) == col(Prospect.crm_id),
                ),
            )
            .where(col(Membership.report_id) == report_id)
        )

    def _id_after(self, column: Any, after: str) -> ColumnElement[bool]:
        """`column > after` in the CRM's binary id order (as the pull pages)."""
        return self._id_order(column) > after

    def _id_order(self, column: Any) -> Any:
        """`column` compared and sorted in the CRM's binary id order, whatever the
        database's default collation (SQLite compares text in binary)."""
        if self.engine.dialect.name == "postgresql":
            return collate(column, "C")
        return column
