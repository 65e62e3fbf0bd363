"""Store operations of the activity outbox: record, select for push, mark results, requeue.

An activity row is its content (kind, prospect, time, outcome, ...), a content `version`,
plus outbox state (`push_status` pending | pushed | failed). Recording identical content
again changes nothing; changed content bumps the version and puts the row back to pending so
the next push updates the Task.

Recording and pushing never lock a row across the CRM call; both write by compare-and-set
instead. A push marks a result only on a row whose version (and outbox state) is still the
one it read and sent, so an activity changed while its push was in flight stays pending and
is sent again. Recording changes a row only if it is still as it was read, and otherwise
reads again, so a push that marked the row meanwhile cannot hide the new content. A new
activity is inserted only if it is still absent (`ON CONFLICT DO NOTHING`): when another
recording inserted the same id since the read, the transaction reads again and the row is
compared and set like any other, so two imports of one new activity never fail each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from connector.crm.base import UpsertResult
from connector.errors import StoreError
from connector.store.base import TenantStoreBase, insert_into
from connector.store.models import Activity, utcnow

#: The columns that make up an activity's content (the rest is outbox state).
CONTENT_FIELDS: tuple[str, ...] = (
    "kind",
    "prospect_crm_id",
    "occurred_at",
    "direction",
    "duration_seconds",
    "outcome",
    "subject",
)
#: A record that keeps failing transiently is parked after this many attempts.
MAX_TRANSIENT_ATTEMPTS = 10
#: Times recording reads again after a row changed under it before giving up.
MAX_RECORD_TRIES = 20
_CHUNK = 500


class _RowMoved(Exception):
    """A row changed between this transaction's read and its write: read again."""


@dataclass(frozen=True)
class RecordResult:
    """What recording a batch of activities did."""

    created: int = 0
    updated: int = 0  # changed while still waiting to be pushed
    requeued: int = 0  # changed after a push (or a parked failure): pending again
    unchanged: int = 0
    suppressed: int = 0  # about a forgotten person: dropped, never stored

    @property
    def total(self) -> int:
        return self.created + self.updated + self.requeued + self.unchanged + self.suppressed


@dataclass(frozen=True)
class MarkOutcome:
    """What marking one batch of upsert results did."""

    pushed: int = 0
    created: int = 0
    failed: int = 0
    retry: int = 0
    skipped: int = 0  # changed meanwhile, or no result came back: left pending


def content_of(values: Activity | Mapping[str, Any]) -> tuple[Any, ...]:
    """An activity's content as a comparable tuple (times in UTC)."""
    get = values.get if isinstance(values, Mapping) else lambda name: getattr(values, name)
    return tuple(_comparable(get(name)) for name in CONTENT_FIELDS)


def _comparable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


class ActivitiesMixin(TenantStoreBase):
    """The customer's activity outbox."""

    # recording ------------------------------------------------------------------------

    def record_activities(self, items: Iterable[Mapping[str, Any]]) -> RecordResult:
        """Insert or update activities (store column values keyed by `activity_id`).

        All of `items` are written in one transaction; a repeated id within `items` counts
        once, the last one winning. A row that changed between the read and the write (a
        push marked it) makes the transaction start over. Raises StoreError when the store
        fails, or when rows keep changing under it.
        """
        latest = {str(item["activity_id"]): dict(item) for item in items}
        for _ in range(MAX_RECORD_TRIES):
            try:
                return self._record_once(latest)
            except _RowMoved:
                continue
        raise StoreError(
            "activities kept changing while they were recorded; nothing was stored, try again",
            customer=self.customer_id,
        )

    def _record_once(self, latest: Mapping[str, Mapping[str, Any]]) -> RecordResult:
        counts = {"created": 0, "updated": 0, "requeued": 0, "unchanged": 0}
        with self.session() as session:
            known = self._load(session, list(latest))
            new = [fields for activity_id, fields in latest.items() if activity_id not in known]
            self._insert_absent(session, new)
            counts["created"] = len(new)
            for activity_id, fields in latest.items():
                row = known.get(activity_id)
                if row is None:
                    continue
                if content_of(row) == content_of(fields):
                    counts["unchanged"] += 1
                else:
                    counter, values = revision_of(row, fields)
                    if not self._compare_and_set(session, row, values):
                        raise _RowMoved
                    counts[counter] += 1
        return RecordResult(**counts)

    def _insert_absent(self, session: Session, new: Sequence[Mapping[str, Any]]) -> None:
        """Insert activities that were absent when read; _RowMoved if one is there by now."""
        table = Activity.__table__  # type: ignore[attr-defined]
        for start in range(0, len(new), _CHUNK):
            rows = [
                Activity(customer_id=self.customer_id, **fields).model_dump()
                for fields in new[start : start + _CHUNK]
            ]
            stmt = (
                insert_into(self.engine, table)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["customer_id", "activity_id"])
                .returning(table.c.activity_id)
            )
            if len(session.execute(stmt).all()) != len(rows):
                raise _RowMoved  # inserted meanwhile by another recording: read it again

    def _compare_and_set(self, session: Session, row: Activity, values: dict[str, Any]) -> bool:
        """Write `values` to `row` only if its version and outbox state are still as read."""
        result = session.execute(
            update(Activity)
            .where(
                col(Activity.customer_id) == self.customer_id,
                col(Activity.activity_id) == row.activity_id,
                col(Activity.version) == row.version,
                col(Activity.push_status) == row.push_status,
                col(Activity.attempts) == row.attempts,
            )
            .values(values)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def _load(self, session: Session, activity_ids: Sequence[str]) -> dict[str, Activity]:
        found: dict[str, Activity] = {}
        for start in range(0, len(activity_ids), _CHUNK):
            chunk = activity_ids[start : start + _CHUNK]
            stmt = select(Activity).where(col(Activity.activity_id).in_(chunk))
            found.update({row.activity_id: row for row in session.exec(stmt)})
        return found

    # pushing --------------------------------------------------------------------------

    def pending_activity_ids(self, limit: int | None = None) -> list[str]:
        """Ids of activities waiting to be pushed, oldest first.

        Records that failed transiently stay pending, so they are included here.
        """
        with self.session() as session:
            stmt = (
                select(Activity.activity_id)
                .where(Activity.push_status == "pending")
                .order_by(col(Activity.created_at), col(Activity.activity_id))
            )
            if limit is not None:
                stmt = stmt.limit(limit)
            return list(session.exec(stmt))

    def load_pending(self, activity_ids: Sequence[str]) -> list[Activity]:
        """The activities among `activity_ids` that are still pending, in the given order."""
        with self.session() as session:
            rows = self._load(session, activity_ids)
        return [rows[i] for i in activity_ids if i in rows and rows[i].push_status == "pending"]

    def mark_push_results(
        self,
        sent: Sequence[Activity],
        results: Sequence[UpsertResult],
        fence: int | None = None,
    ) -> MarkOutcome:
        """Store the CRM's verdict on each sent activity, in one transaction.

        Success -> pushed with the Task id; a transient failure -> still pending, one more
        attempt (parked once `MAX_TRANSIENT_ATTEMPTS` is reached); any other failure ->
        failed ("parked") with the CRM's code and message. Each row is written by
        compare-and-set on the version that was sent: a row changed since is left pending.
        With `fence` (the pushing worker's lease token) the transaction commits only while
        that token is current; raises LeaseLost, marking nothing, once the lease moved on.
        """
        by_id = {result.external_id: result for result in results}
        counts = {"pushed": 0, "created": 0, "failed": 0, "retry": 0, "skipped": 0}
        now = utcnow()
        with self.session(fence) as session:
            current = self._load(session, [a.activity_id for a in sent])
            for activity in sent:
                row = current.get(activity.activity_id)
                result = by_id.get(activity.activity_id)
                if row is None or result is None or not _still_as_sent(row, activity):
                    counts["skipped"] += 1
                    continue
                counter, values = result_values(row, result, now)
                if not self._compare_and_set(session, row, values):
                    counts["skipped"] += 1  # changed since the read just now: stays pending
                    continue
                counts[counter] += 1
                if result.success and result.created:
                    counts["created"] += 1
        return MarkOutcome(**counts)

    # operators ------------------------------------------------------------------------

    def failed_activities(self, limit: int | None = None) -> list[Activity]:
        """Parked activities (permanent CRM failures), oldest first."""
        with self.session() as session:
            stmt = (
                select(Activity)
                .where(Activity.push_status == "failed")
                .order_by(col(Activity.created_at), col(Activity.activity_id))
            )
            if limit is not None:
                stmt = stmt.limit(limit)
            return list(session.exec(stmt))

    def requeue_failed(self, activity_ids: Sequence[str] | None = None) -> int:
        """Put parked activities (all, or those named) back to pending; returns how many."""
        with self.session() as session:
            stmt = select(Activity).where(Activity.push_status == "failed")
            if activity_ids is not None:
                stmt = stmt.where(col(Activity.activity_id).in_(list(activity_ids)))
            rows = list(session.exec(stmt))
            for row in rows:
                row.push_status = "pending"
                row.attempts = 0
                row.error_code = None
                row.error_message = None
                session.add(row)
        return len(rows)

    def get_activity(self, activity_id: str) -> Activity | None:
        with self.session() as session:
            return session.get(Activity, (self.customer_id, activity_id))

    def activity_counts(self) -> dict[str, int]:
        """push_status -> number of activities."""
        with self.session() as session:
            stmt = select(Activity.push_status, func.count()).group_by(Activity.push_status)
            return {status: int(n) for status, n in session.exec(stmt)}


def _still_as_sent(row: Activity, sent: Activity) -> bool:
    """Whether `row` still holds the content version that was sent, waiting for its result."""
    return row.version == sent.version and row.push_status == "pending"


def revision_of(row: Activity, fields: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The column values that put changed content `fields` on `row`, and its counter.

    The version grows; the row is pending again. A row that was still waiting keeps its
    attempts ("updated"); one that was pushed or parked starts over ("requeued").
    """
    values: dict[str, Any] = {name: fields.get(name) for name in CONTENT_FIELDS}
    values["version"] = row.version + 1
    values["push_status"] = "pending"
    if row.push_status == "pending":
        return "updated", values
    values.update(attempts=0, error_code=None, error_message=None)
    return "requeued", values


def result_values(row: Activity, result: UpsertResult, now: datetime) -> tuple[str, dict[str, Any]]:
    """The column values one upsert result gives `row`, and the counter to bump."""
    attempts = row.attempts + 1
    if result.success:
        return "pushed", {
            "attempts": attempts,
            "push_status": "pushed",
            "crm_task_id": result.crm_id or row.crm_task_id,
            "pushed_at": now,
            "error_code": None,
            "error_message": None,
        }
    values: dict[str, Any] = {
        "attempts": attempts,
        "error_code": (result.error_code or "UNKNOWN_ERROR")[:64],
        "error_message": result.error_message or "the CRM gave no message",
    }
    if result.transient and attempts < MAX_TRANSIENT_ATTEMPTS:
        return "retry", values
    values["push_status"] = "failed"
    return "failed", values
