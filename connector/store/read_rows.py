"""Reads of the platform's API: a call list's members, page by page, and what changed.

Both reads are keyset pages, so memory and work per page do not grow with the list:

- members in CRM-id order, after a given id;
- changes in (changed at, CRM id) order, after a given position, where a member "changed"
  when its prospect row was last written or when it joined the list, whichever is later.

Only members whose prospect row exists are returned: a forgotten person's row is deleted, so
they never appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, collate, or_
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from connector.store.base import TenantStoreBase
from connector.store.models import Membership, Prospect


@dataclass(frozen=True)
class ChangePosition:
    """A place in a call list's change order: after `crm_id` at `at`."""

    at: datetime
    crm_id: str


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
        stmt = self._members(report_id).order_by(col(Membership.crm_id)).limit(limit)
        if after is not None:
            stmt = stmt.where(self._id_after(col(Membership.crm_id), after))
        with self.session() as session:
            return list(session.exec(stmt))

    def change_page(
        self, report_id: str, since: ChangePosition, until: datetime, limit: int
    ) -> list[tuple[Prospect, datetime]]:
        """Up to `limit` members of `report_id` changed after `since` and no later than
        `until`, in change order, each with its change time."""
        changed = changed_at()
        stmt = (
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
                changed <= until,
                or_(
                    changed > since.at,
                    and_(changed == since.at, self._id_after(col(Prospect.crm_id), since.crm_id)),
                ),
            )
            .order_by(changed, col(Prospect.crm_id))
            .limit(limit)
        )
        with self.session() as session:
            return [(prospect, at) for prospect, at in session.exec(stmt)]

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
        if self.engine.dialect.name == "postgresql":
            return collate(column, "C") > after
        return column > after
