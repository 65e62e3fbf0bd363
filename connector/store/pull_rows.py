"""Store operations of a pull: call lists, prospects, memberships, runs and checkpoints.

A page of report rows is saved in one transaction together with its checkpoint and the run's
counters, so a killed sync resumes exactly after the last saved page and its run counts every
row once. Pages arrive in id order, so each page also
reconciles the call list over the id range it covers: members in that range that the page no
longer holds are removed. Unchanged prospects are not written at all: the database compares
their keyed change hash with the stored one (`page_sql`): a sealed row's own digest
(`privacy.field_crypto`), else `rowhash` over the stored values.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func
from sqlmodel import Session, col, select

from connector.store import page_sql
from connector.store.base import TenantStoreBase
from connector.store.models import (
    PROSPECT_STORED,
    CallList,
    Checkpoint,
    Customer,
    Membership,
    Prospect,
    RejectedRow,
    Suppression,
    SyncRun,
    utcnow,
)
from connector.store.removals import log_removals
from connector.store.rowhash import customer_hash_key, row_hash
from connector.store.subjects_lock import lock_subjects

#: Given the suppression hashes inside a page's transaction: the crm ids to leave out.
Screen = Callable[[frozenset[str]], Collection[str]]


@dataclass(frozen=True)
class PageOutcome:
    """What saving one page changed (`rows`: report rows the page held)."""

    rows: int
    written: int
    unchanged: int
    members_added: int
    members_removed: int
    rejected: int
    suppressed: int
    #: The call list's member count once its report's last page is saved (else None).
    members: int | None = None

    def counters(self) -> dict[str, int]:
        """The run counters this page adds to, by `SyncRun` column."""
        return {
            "rows_read": self.rows,
            "prospects_written": self.written,
            "prospects_unchanged": self.unchanged,
            "memberships_added": self.members_added,
            "memberships_removed": self.members_removed,
            "rejected": self.rejected,
            "suppressed": self.suppressed,
        }

    def count_into(self, run: SyncRun) -> None:
        """Add this page to the counters of `run` (the in-memory copy of the stored run)."""
        for name, value in self.counters().items():
            setattr(run, name, getattr(run, name) + value)


@dataclass(frozen=True)
class ReportListing:
    """A report as the store records it (mirrors `crm.base.ReportRef`)."""

    report_id: str
    name: str
    developer_name: str
    folder_id: str


class PullRowsMixin(TenantStoreBase):
    """Call lists, prospects, memberships, runs and checkpoints of one customer."""

    # customers and runs ---------------------------------------------------------------

    def ensure_customer(self) -> Customer:
        """The customer's row, created on first use."""
        with self.session() as session:
            customer = session.get(Customer, self.customer_id)
            if customer is None:  # inserted unless another writer did it first, never both
                self.upsert(session, Customer, [{}], keys=[])
                customer = session.get(Customer, self.customer_id)
            assert customer is not None
            return customer

    def get_customer(self) -> Customer | None:
        with self.session() as session:
            return session.get(Customer, self.customer_id)

    def start_run(self, kind: str, trigger: str = "manual", full: bool = False) -> SyncRun:
        """Record a new run as running."""
        with self.session() as session:
            return self._start_run(session, kind, trigger, full)

    def _start_run(self, session: Session, kind: str, trigger: str, full: bool) -> SyncRun:
        run = SyncRun(
            customer_id=self.customer_id,
            run_id=uuid.uuid4().hex,
            kind=kind,
            trigger=trigger,
            full=full,
        )
        session.add(run)
        return run

    def unfinished_run(
        self, kind: str, statuses: Collection[str] = ("running", "stopped")
    ) -> SyncRun | None:
        """The latest run of `kind` if it ended in one of `statuses` (by default: crashed
        while running, or stopped); its checkpoints let the next run continue from there."""
        with self.session() as session:
            return self._unfinished_run(session, kind, statuses)

    def _unfinished_run(
        self, session: Session, kind: str, statuses: Collection[str]
    ) -> SyncRun | None:
        stmt = select(SyncRun).where(SyncRun.kind == kind).order_by(col(SyncRun.started_at).desc())
        latest = session.exec(stmt).first()
        if latest is not None and latest.status in statuses:
            return latest
        return None

    def resume_or_start_run(
        self,
        kind: str,
        resumable: Collection[str],
        trigger: str = "manual",
        full: bool = False,
    ) -> tuple[SyncRun, bool]:
        """The run to carry on with, in one transaction: the latest run of `kind` if it ended
        in one of `resumable` (not with `full`), else a new run, recorded as running, after
        marking runs left running by a crash as abandoned when `full`. Returns (run, whether
        it is a resumed one)."""
        with self.session() as session:
            if full:
                self._abandon_running(session, kind)
            else:
                latest = self._unfinished_run(session, kind, resumable)
                if latest is not None:
                    return latest, True
            return self._start_run(session, kind, trigger, full), False

    def abandon_unfinished_runs(self, kind: str) -> int:
        """Mark runs of `kind` left running by a crash as abandoned (a fresh run replaces them)."""
        with self.session() as session:
            return self._abandon_running(session, kind)

    def _abandon_running(self, session: Session, kind: str) -> int:
        stmt = select(SyncRun).where(SyncRun.kind == kind, SyncRun.status == "running")
        runs = list(session.exec(stmt))
        for run in runs:
            run.status, run.finished_at = "abandoned", utcnow()
            session.add(run)
        return len(runs)

    def save_run(
        self, run: SyncRun, fence: int | None = None, *, remove_orphans: bool = False
    ) -> SyncRun:
        """Write the run's counters and status. With `remove_orphans`, first delete the
        prospects no active call list holds any more, in the same transaction, and count
        them in the run's `prospects_removed`."""
        with self.session(fence) as session:
            if remove_orphans:
                run.prospects_removed += self._remove_orphans(session)
            merged = session.merge(run)
            return merged

    def list_runs(self, limit: int = 20) -> list[SyncRun]:
        with self.session() as session:
            stmt = select(SyncRun).order_by(col(SyncRun.started_at).desc()).limit(limit)
            return list(session.exec(stmt))

    def run_counts(self) -> dict[tuple[str, str], int]:
        """(kind, status) -> how many of the customer's stored runs ended so (or are running)."""
        with self.session() as session:
            stmt = select(SyncRun.kind, SyncRun.status, func.count()).group_by(
                col(SyncRun.kind), col(SyncRun.status)
            )
            return {(kind, status): int(n) for kind, status, n in session.exec(stmt)}

    def last_finished_at(self, kind: str, status: str = "succeeded") -> datetime | None:
        """When the customer's latest `kind` run that ended `status` finished (None if never)."""
        with self.session() as session:
            stmt = select(func.max(SyncRun.finished_at)).where(
                SyncRun.kind == kind, SyncRun.status == status
            )
            return session.exec(stmt).one()

    def get_run(self, run_id: str) -> SyncRun | None:
        with self.session() as session:
            return session.get(SyncRun, (self.customer_id, run_id))

    def checkpoints(self, run_id: str) -> dict[str, Checkpoint]:
        """Report id -> checkpoint, for one run."""
        with self.session() as session:
            stmt = select(Checkpoint).where(Checkpoint.run_id == run_id)
            return {cp.report_id: cp for cp in session.exec(stmt)}

    def rejected_rows(self, run_id: str) -> list[RejectedRow]:
        with self.session() as session:
            stmt = select(RejectedRow).where(RejectedRow.run_id == run_id)
            return list(session.exec(stmt))

    # call lists -----------------------------------------------------------------------

    def sync_call_lists(
        self, reports: Iterable[ReportListing], fence: int | None = None
    ) -> list[str]:
        """Make the call lists the folder's `reports`, in one transaction: each recorded as
        active (`upsert_call_lists`), the others retired (`retire_call_lists`); returns the
        developer names of those retired."""
        listed = list(reports)
        with self.session(fence) as session:
            self._upsert_call_lists(session, listed)
            return self._retire_call_lists(session, {report.report_id for report in listed})

    def upsert_call_lists(self, reports: Iterable[ReportListing], fence: int | None = None) -> None:
        """Record the folder's reports as active call lists (names may change in the CRM)."""
        with self.session(fence) as session:
            self._upsert_call_lists(session, list(reports))

    def _upsert_call_lists(self, session: Session, reports: Sequence[ReportListing]) -> None:
        rows = [
            {
                "report_id": report.report_id,
                "name": report.name,
                "developer_name": report.developer_name,
                "folder_id": report.folder_id,
                "active": True,
                "retired_at": None,
            }
            for report in {report.report_id: report for report in reports}.values()
        ]
        self.upsert(session, CallList, rows, keys=["report_id"])

    def call_lists(self, active_only: bool = False) -> list[CallList]:
        with self.session() as session:
            stmt = select(CallList).order_by(CallList.developer_name)
            if active_only:
                stmt = stmt.where(CallList.active == True)  # noqa: E712
            return list(session.exec(stmt))

    def retire_call_lists(self, keep: set[str], fence: int | None = None) -> list[str]:
        """Retire active call lists whose report left the folder; drop their memberships
        (logged as removed, for the change feed)."""
        with self.session(fence) as session:
            return self._retire_call_lists(session, keep)

    def _retire_call_lists(self, session: Session, keep: Collection[str]) -> list[str]:
        retired: list[str] = []
        for call_list in session.exec(select(CallList).where(CallList.active == True)):  # noqa: E712
            if call_list.report_id in keep:
                continue
            call_list.active = False
            call_list.retired_at = utcnow()
            call_list.row_count = 0
            session.add(call_list)
            in_list = col(Membership.report_id) == call_list.report_id
            log_removals(session, self.customer_id, "list_retired", in_list)
            session.execute(delete(Membership).where(in_list))
            retired.append(call_list.developer_name)
        return retired

    def finish_call_list(self, report_id: str, fence: int | None = None) -> int:
        """Stamp a fully read call list with its member count; returns the count (the same
        stamp a report's last page makes in its own transaction: `page_sql.stamp_call_list`)."""
        with self.session(fence) as session:
            connection = session.connection()
            now = self._bind_timestamp(connection.dialect)(utcnow())
            db = connection.connection.cursor()
            try:
                return page_sql.stamp_call_list(
                    db, connection.dialect.name, self.customer_id, report_id, now
                )
            finally:
                db.close()

    # pages ----------------------------------------------------------------------------

    def save_page(
        self,
        *,
        run_id: str,
        report_id: str,
        after: str | None,
        cursor: str | None,
        done: bool,
        rows_read: int,
        mapped: Sequence[tuple[str, Mapping[str, str | None]]],
        rejects: Sequence[tuple[str, str]],
        page_rows: int | None = None,
        suppressed: int = 0,
        run_values: Mapping[str, Any] | None = None,
        screen: Screen | None = None,
        fence: int | None = None,
        hash_key: bytes | None = None,
    ) -> PageOutcome:
        """Save one page of mapped rows, its checkpoint and the run's counters in one transaction.

        `mapped` holds (crm id, store fields) of the rows to keep; `rejects` (crm id, reason)
        of the rows refused; `page_rows` and `suppressed` how many rows the page held and how
        many of them were skipped as forgotten (`page_rows` defaults to all of them). The page
        covers ids in (`after`, `cursor`], or
        (`after`, ∞) when `done`; members of the call list in that range that the page does not
        keep are removed. The run `run_id` gains the page's counts in the same transaction,
        so a crash can never leave a saved page uncounted (or a counted page unsaved);
        `run_values` are other run columns (API usage) written with them. The last page
        (`done`) also stamps the call list with its member count (`PageOutcome.members`).

        `screen` gets the customer's suppression hashes as they are inside this transaction
        and names the crm ids among `mapped` to leave out (people forgotten since `mapped` was
        filtered). Forgetting serialises with this transaction (`lock_subjects`), so a
        forgotten person is never written after their forget committed.
        """
        if page_rows is None:
            page_rows = len(mapped) + len(rejects) + suppressed
        until = None if done else cursor
        with self.session(fence) as session:
            lock_subjects(session, self.customer_id, exclusive=False)
            if screen is not None:
                hashes = frozenset(session.exec(select(Suppression.subject_hash)))
                dropped = set(screen(hashes))
                kept = [(crm_id, row) for crm_id, row in mapped if crm_id not in dropped]
                suppressed += len(mapped) - len(kept)
                mapped = kept
            connection = session.connection()
            dialect = connection.dialect.name
            now = self._bind_timestamp(connection.dialect)(utcnow())
            db = connection.connection.cursor()
            try:
                written, unchanged, added, removed = self._write_page(
                    db,
                    dialect,
                    now,
                    run_id,
                    report_id,
                    after,
                    until,
                    mapped,
                    hash_key or self._hash_key,
                )
                page_sql.record_rejects(db, dialect, self.customer_id, run_id, report_id, rejects)
                page_sql.save_checkpoint(
                    db,
                    dialect,
                    self.customer_id,
                    run_id,
                    report_id,
                    cursor,
                    rows_read,
                    done,
                    now,
                )
                members = None
                if done:  # the list's count lands with its last page, never apart from it
                    members = page_sql.stamp_call_list(
                        db, dialect, self.customer_id, report_id, now
                    )
                outcome = PageOutcome(
                    page_rows, written, unchanged, added, removed, len(rejects), suppressed, members
                )
                page_sql.add_to_run(
                    db,
                    dialect,
                    self.customer_id,
                    run_id,
                    outcome.counters(),
                    run_values or {},
                )
            finally:
                db.close()
        return outcome

    def _write_page(
        self,
        cursor: Any,
        dialect: str,
        now: Any,
        run_id: str,
        report_id: str,
        after: str | None,
        until: str | None,
        mapped: Sequence[tuple[str, Mapping[str, str | None]]],
        hash_key: bytes,
    ) -> tuple[int, int, int, int]:
        """Write the page's prospects and reconcile its members in plain SQL; returns
        (written, unchanged, members added, members removed)."""
        # one row per id, the last one read winning; every person column is written, so a
        # field dropped from the map is emptied. A sealed row brings its change hash (the
        # digest its nonce is, over every field: see `field_crypto`); others are hashed here.
        # A page of sealed rows only (the pull's) binds just the sealed value per row.
        latest = {crm_id: fields for crm_id, fields in mapped}
        sealed = _sealed_rows(latest)
        if sealed is None:
            rows = _hashed_rows(latest, hash_key)
            written = page_sql.upsert_prospects(
                cursor, dialect, self.customer_id, run_id, now, rows
            )
        else:
            written = page_sql.upsert_sealed_prospects(
                cursor, dialect, self.customer_id, run_id, now, sealed
            )
        added, removed = page_sql.reconcile_members(
            cursor, dialect, self.customer_id, report_id, run_id, now, after, until, list(latest)
        )
        return written, len(latest) - written, added, removed

    @property
    def _hash_key(self) -> bytes:
        # the pull passes the key derived from the customer's data key; this one serves
        # callers that store rows without it (tests, tools)
        return customer_hash_key(self.customer_id)

    def _bind_timestamp(self, dialect: Any) -> Callable[[datetime], Any]:
        """A timestamp as the driver takes it for the store's timestamp columns (the
        processor is looked up once per store: finding it is costly)."""
        process = self.__dict__.get("_timestamp_processor")
        if process is None:
            column_type = Prospect.__table__.c.updated_at.type  # type: ignore[attr-defined]
            found = column_type.dialect_impl(dialect).bind_processor(dialect)
            process = found or (lambda value: value)
            self.__dict__["_timestamp_processor"] = process
        return process

    def remove_orphan_prospects(self, fence: int | None = None) -> int:
        """Delete prospects that no active call list holds any more; returns how many."""
        with self.session(fence) as session:
            return self._remove_orphans(session)

    def _remove_orphans(self, session: Session) -> int:
        member = exists().where(
            col(Membership.customer_id) == col(Prospect.customer_id),
            col(Membership.crm_id) == col(Prospect.crm_id),
        )
        result = session.execute(
            delete(Prospect).where(~member), execution_options={"synchronize_session": False}
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    # reading --------------------------------------------------------------------------

    def prospects(self, limit: int | None = None) -> list[Prospect]:
        with self.session() as session:
            stmt = select(Prospect).order_by(Prospect.crm_id)
            if limit is not None:
                stmt = stmt.limit(limit)
            return list(session.exec(stmt))

    def count(self, model: type[Any]) -> int:
        """Rows of `model` that belong to this customer."""
        with self.session() as session:
            return int(session.exec(select(func.count()).select_from(model)).one())

    def memberships(self, report_id: str | None = None) -> list[Membership]:
        with self.session() as session:
            stmt = select(Membership)
            if report_id is not None:
                stmt = stmt.where(Membership.report_id == report_id)
            return list(session.exec(stmt))

    def prospect_ids_in(self, report_id: str) -> list[str]:
        with self.session() as session:
            stmt = select(Membership.crm_id).where(Membership.report_id == report_id)
            return list(session.exec(stmt))

    def prospects_by_ids(self, crm_ids: Sequence[str]) -> dict[str, Prospect]:
        out: dict[str, Prospect] = {}
        with self.session() as session:
            for start in range(0, len(crm_ids), 500):
                stmt = select(Prospect).where(
                    col(Prospect.crm_id).in_(crm_ids[start : start + 500])
                )
                out.update({p.crm_id: p for p in session.exec(stmt)})
        return out


_SEALED_KEYS = frozenset({"sealed", "row_hash"})


def _sealed_rows(
    latest: Mapping[str, Mapping[str, str | None]],
) -> list[page_sql.SealedRow] | None:
    """The page as sealed rows (crm id, sealed value, its change hash) when every row holds
    only those two (the pull's rows: see `privacy.keys.pull_keys`); else None, and the page
    is written column by column."""
    rows = []
    for crm_id, fields in latest.items():
        if not fields.keys() <= _SEALED_KEYS:
            return None
        sealed, digest = fields.get("sealed"), fields.get("row_hash")
        if sealed is None or not digest:
            return None
        rows.append((crm_id, sealed, digest))
    return rows


def _hashed_rows(
    latest: Mapping[str, Mapping[str, str | None]], key: bytes
) -> list[page_sql.ProspectRow]:
    """The page column by column, each row with its change hash: a sealed row's own (the
    digest its nonce is), else `row_hash` over the stored values."""
    rows: list[page_sql.ProspectRow] = []
    plain_columns = len(PROSPECT_STORED) - 1
    for crm_id, fields in latest.items():
        values = tuple(map(fields.get, PROSPECT_STORED))
        sealed_only = values[-1] is not None and values.count(None) == plain_columns
        digest = fields.get("row_hash") if sealed_only else None
        rows.append((crm_id, values, digest or row_hash(key, values)))
    return rows


def as_listing(report: Any) -> ReportListing:
    """Convert a `crm.base.ReportRef` (or anything shaped like it) to a store listing."""
    return ReportListing(
        report_id=report.id,
        name=report.name,
        developer_name=report.developer_name,
        folder_id=report.folder_id,
    )
