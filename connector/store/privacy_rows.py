"""Store operations of the privacy package: subject rows, suppressions, audit, retention.

Everything here runs inside the customer's partition (`TenantStoreBase.session()`). A
forget finds the subject's rows, deletes them, records the suppression hashes and the audit
event in one transaction, so a subject is never half forgotten (their memberships are logged
as removals, crm id only, for the read API's change feed); that transaction holds the
customer's people lock (`subjects_lock`), so no page of a running sync writes in between.
The store never sees a forgotten identifier in plain text: callers pass keyed hashes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from connector.store.base import TenantStoreBase
from connector.store.models import (
    TENANT_TABLES,
    Activity,
    AuditEvent,
    Checkpoint,
    Membership,
    Prospect,
    RejectedRow,
    Suppression,
    SyncRun,
    TenantRow,
)
from connector.store.removals import RemovalsMixin, log_removals
from connector.store.subjects_lock import lock_subjects

#: The tables holding rows about one prospect, and the column naming the prospect's CRM id.
SUBJECT_TABLES: dict[type[TenantRow], str] = {
    Prospect: "crm_id",
    Membership: "crm_id",
    Activity: "prospect_crm_id",
    RejectedRow: "crm_id",
}
#: Forgetting also drops resume cursors that are the person's id (the report is re-read).
FORGET_TABLES: dict[type[TenantRow], str] = {**SUBJECT_TABLES, Checkpoint: "last_key"}
#: Free-text columns that may quote a person (redacted when the person is forgotten).
FREE_TEXT: dict[type[TenantRow], tuple[str, ...]] = {
    Activity: ("subject", "error_message"),
    SyncRun: ("error",),
    RejectedRow: ("reason",),
}
#: The identifying fields of a prospect that redaction looks for in free text.
IDENTITY_FIELDS: tuple[str, ...] = (
    "email",
    "phone",
    "mobile_phone",
    "first_name",
    "last_name",
    "full_name",
)
_CHUNK = 500

#: A prospect's identifiers a subject is matched on: crm_id, email, phone, mobile_phone.
ContactRow = dict[str, str | None]


@dataclass(frozen=True)
class ForgetPlan:
    """Whom a forget removes (crm ids), the (hash, kind) suppressions it adds, its audit."""

    crm_ids: Sequence[str]
    suppressions: Sequence[tuple[str, str]]
    audit: AuditEvent
    #: makes, from the forgotten people's identifying fields, the function that rewrites the
    #: free text of the remaining rows (activity subjects, run errors, reject reasons)
    redactor: Callable[[list[dict[str, str | None]]], Callable[[str], str]] | None = None


@dataclass(frozen=True)
class ForgetResult:
    """The plan a forget carried out and the rows it deleted per table name."""

    plan: ForgetPlan
    deleted: dict[str, int]


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def table_name(model: type[TenantRow]) -> str:
    """The table name of a tenant model."""
    return str(model.__table__.name)  # type: ignore[attr-defined]


def primary_key_columns(model: type[TenantRow]) -> list[Any]:
    """The model's primary-key columns, for a stable export order."""
    return list(model.__table__.primary_key.columns)  # type: ignore[attr-defined]


class PrivacyMixin(TenantStoreBase):
    """Subject lookup, forgetting, suppression hashes, audit events and activity retention."""

    # subjects -------------------------------------------------------------------------

    def contact_rows(self) -> list[ContactRow]:
        """(crm_id, email, phone, mobile_phone, sealed) of every prospect, to match a subject
        against once opened (`privacy.keys.open_prospect_rows`)."""
        with self.session() as session:
            return self._contact_rows(session)

    @staticmethod
    def _contact_rows(session: Session) -> list[ContactRow]:
        names = ("crm_id", "email", "phone", "mobile_phone", "sealed")
        stmt = select(*[getattr(Prospect, name) for name in names])
        return [dict(zip(names, row, strict=True)) for row in session.exec(stmt)]

    def identities(self, crm_ids: Sequence[str]) -> list[dict[str, str | None]]:
        """The identifying fields (IDENTITY_FIELDS) of the prospects `crm_ids`, with their
        `crm_id` and `sealed` value (to be opened by `privacy.keys.open_prospect_rows`)."""
        with self.session() as session:
            return self._identities(session, crm_ids)

    @staticmethod
    def _identities(session: Session, crm_ids: Sequence[str]) -> list[dict[str, str | None]]:
        names = ("crm_id", "sealed", *IDENTITY_FIELDS)
        columns = [getattr(Prospect, name) for name in names]
        found: list[dict[str, str | None]] = []
        for batch in _chunks(sorted(set(crm_ids))):
            stmt = select(*columns).where(col(Prospect.crm_id).in_(batch))
            found += [dict(zip(names, row, strict=True)) for row in session.exec(stmt)]
        return found

    def iter_rows(
        self,
        session: Session,
        model: type[TenantRow],
        *,
        crm_ids: Sequence[str] | None = None,
        exclude: Iterable[str] = (),
    ) -> Iterator[dict[str, Any]]:
        """The customer's rows of `model` as JSON-ready dicts, in primary-key order.

        With `crm_ids`, only the rows about those prospects (`model` must be in
        SUBJECT_TABLES). `exclude` names columns left out (secrets). Runs in `session`, so
        several tables can be read in one transaction.
        """
        skip = set(exclude)
        if crm_ids is None:
            batches: Iterable[Sequence[str] | None] = [None]
        else:
            batches = _chunks(sorted(set(crm_ids)))
        for batch in batches:
            stmt = select(model).order_by(*primary_key_columns(model))
            if batch is not None:
                stmt = stmt.where(col(getattr(model, SUBJECT_TABLES[model])).in_(batch))
            for row in session.exec(stmt.execution_options(yield_per=1000)):
                yield row.model_dump(mode="json", exclude=skip)

    def forget_rows(self, plan_for: Callable[[list[ContactRow]], ForgetPlan]) -> ForgetResult:
        """Forget whom `plan_for` names, given every prospect's contact row, in one transaction.

        The transaction first takes the customer's people lock, then reads the contact rows,
        so the plan sees every page a sync has committed and no page commits until the
        forget has. Deletes every row about the plan's crm ids, adds its (hash, kind)
        suppressions and its audit event. Returns the plan and rows deleted per table name.
        """
        deleted = {table_name(model): 0 for model in FORGET_TABLES}
        with self.session() as session:
            lock_subjects(session, self.customer_id, exclusive=True)
            plan = plan_for(self._contact_rows(session))
            # who they are, read before their rows go: their text is redacted elsewhere
            people = self._identities(session, plan.crm_ids) if plan.redactor else []
            for batch in _chunks(sorted(set(plan.crm_ids))):
                # the change feed reports them as removed from their lists (crm id only)
                log_removals(
                    session, self.customer_id, "forgotten", col(Membership.crm_id).in_(batch)
                )
            for model, column in FORGET_TABLES.items():
                for batch in _chunks(sorted(set(plan.crm_ids))):
                    result = session.execute(
                        delete(model).where(col(getattr(model, column)).in_(batch))
                    )
                    deleted[table_name(model)] += int(getattr(result, "rowcount", 0) or 0)
            self.upsert(
                session,
                Suppression,
                [{"subject_hash": digest, "kind": kind} for digest, kind in plan.suppressions],
                keys=["subject_hash"],
            )
            session.add(plan.audit)
            if plan.redactor is not None:
                self._redact_free_text(session, plan.redactor(people))
        return ForgetResult(plan, deleted)

    def _redact_free_text(self, session: Session, redact: Callable[[str], str]) -> int:
        """Pass every free-text value of the customer through `redact`; returns rows changed."""
        changed = 0
        for model, columns in FREE_TEXT.items():
            keys = primary_key_columns(model)
            stmt = select(*keys, *(getattr(model, c) for c in columns))
            rows = list(session.execute(stmt))
            for row in rows:
                values = dict(zip(columns, row[len(keys) :], strict=True))
                new = {c: redact(v) for c, v in values.items() if v}
                new = {c: v for c, v in new.items() if v != values[c]}
                if not new:
                    continue
                where = [key == value for key, value in zip(keys, row[: len(keys)], strict=True)]
                session.execute(update(model).where(*where).values(**new))
                changed += 1
        return changed

    # suppressions ---------------------------------------------------------------------

    def suppression_hashes(self) -> set[str]:
        """Every keyed hash on the customer's suppression list."""
        with self.session() as session:
            return set(session.exec(select(Suppression.subject_hash)))

    # audit ----------------------------------------------------------------------------

    def add_audit_event(self, event: AuditEvent) -> None:
        """Append one event to the customer's audit trail."""
        with self.session() as session:
            session.add(event)

    def last_audit_at(self, action: str) -> datetime | None:
        """When `action` was last recorded in the customer's audit trail, if ever."""
        with self.session() as session:
            stmt = select(func.max(AuditEvent.at)).where(AuditEvent.action == action)
            return session.exec(stmt).one()

    def audit_events(self, limit: int = 50) -> list[AuditEvent]:
        """The customer's latest audit events, newest first."""
        with self.session() as session:
            stmt = select(AuditEvent).order_by(col(AuditEvent.at).desc()).limit(limit)
            return list(session.exec(stmt))

    def last_audit_event(self, action: str) -> AuditEvent | None:
        """The customer's newest audit event of `action`, if any."""
        with self.session() as session:
            stmt = (
                select(AuditEvent)
                .where(AuditEvent.action == action)
                .order_by(col(AuditEvent.at).desc())
                .limit(1)
            )
            return session.exec(stmt).first()

    # retention ------------------------------------------------------------------------

    def delete_activities_before(
        self,
        cutoff: datetime,
        audit: AuditEvent | None = None,
        removals_before: datetime | None = None,
    ) -> int:
        """Delete activities that occurred before `cutoff` (and add `audit`); returns how many.

        With `removals_before`, the removal log's entries older than it go in the same
        transaction (`removals`)."""
        with self.session() as session:
            result = session.execute(delete(Activity).where(col(Activity.occurred_at) < cutoff))
            count = int(getattr(result, "rowcount", 0) or 0)
            if removals_before is not None:
                RemovalsMixin._delete_removals_before(session, removals_before)
            if audit is not None:
                session.add(audit)
            return count

    # counts ---------------------------------------------------------------------------

    def table_counts(self) -> dict[str, int]:
        """Rows of each tenant table that belong to this customer, by table name."""
        with self.session() as session:
            return {
                table_name(model): int(session.exec(select(func.count()).select_from(model)).one())
                for model in TENANT_TABLES
            }
