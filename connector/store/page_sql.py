"""The bulk statements of a pull's page: prospects and call-list members, in plain SQL.

A page holds up to 2,000 rows, so these run on the driver's cursor with rows as tuples
(no ORM objects, no per-row dicts), and the database itself decides what changed:

- prospects are inserted, or updated only where the stored change hash differs from the
  page's (`ON CONFLICT ... DO UPDATE ... WHERE`); the affected-row count is what was written.
  A page of sealed rows (the pull's: one `enc2:` value per row) has its own statement that
  binds only the sealed value and empties the per-field columns in SQL: binding sixteen
  NULLs a row cost SQLite more than the rest of the row's write;
- members are inserted unless present (the count is what was added), and those in the page's
  id range that the page no longer holds are deleted (the count is what was removed) and
  logged in `member_removals` (crm id only) for the read API's change feed.

PostgreSQL gets each write as one statement over the page's columns sent as arrays
(`unnest`, `= ANY`): conflict targets and primary-key lookups, whose plans need no
statistics (autovacuum may be off) and no temporary table (the application role owns none).
The members already in the page's id range are read first, through the id-order index with
or without statistics, so both engines add and remove exactly the difference (the removal,
too, names the range, so it reads only that range whatever a page removes); SQLite, in
process, runs its writes row by row through `executemany`. Every statement names the
customer, and on PostgreSQL row-level security holds them to it as well.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connector.store.models import PROSPECT_STORED

#: One prospect of a page: (crm id, one value per `PROSPECT_STORED`, change hash).
ProspectRow = tuple[str, Sequence[str | None], str]
#: One sealed prospect of a page: (crm id, sealed value, change hash); its per-field
#: columns are stored empty.
SealedRow = tuple[str, str, str]

_FIELDS = ", ".join(PROSPECT_STORED)
_SET = ", ".join(
    f"{name} = excluded.{name}"
    for name in (*PROSPECT_STORED, "row_hash", "updated_at", "last_seen_run")
)
_COLUMNS = f"customer_id, crm_id, {_FIELDS}, row_hash, first_seen_at, updated_at, last_seen_run"

# The statements are built from the fixed column names above; values are always parameters.
_MARKS = ", ".join("?" * (len(PROSPECT_STORED) + 6))
_SQLITE_PROSPECTS = (
    f"INSERT INTO prospects ({_COLUMNS}) VALUES ({_MARKS}) "  # noqa: S608
    f"ON CONFLICT (customer_id, crm_id) DO UPDATE SET {_SET} "
    "WHERE prospects.row_hash IS NOT excluded.row_hash"
)
#: The page's rows on PostgreSQL: one array per column, sent in binary (`%b`: psycopg's text
#: form of an array quotes every element, which costs several times more).
_PAGE = f"unnest({', '.join(['%b::text[]'] * (len(PROSPECT_STORED) + 2))})"
_POSTGRES_PROSPECTS = (
    f"INSERT INTO prospects AS p ({_COLUMNS}) "  # noqa: S608
    f"SELECT %s, crm_id, {_FIELDS}, row_hash, %s, %s, %s "
    f"FROM {_PAGE} AS page(crm_id, {_FIELDS}, row_hash) "
    f"ON CONFLICT (customer_id, crm_id) DO UPDATE SET {_SET} "
    "WHERE p.row_hash IS DISTINCT FROM excluded.row_hash"
)
#: Sealed rows: the per-field columns (those before `sealed`) emptied, as a full row with
#: only the sealed value would store them.
_PLAIN = PROSPECT_STORED[:-1]
_SEALED_COLUMNS = "customer_id, crm_id, sealed, row_hash, first_seen_at, updated_at, last_seen_run"
_SEALED_WRITTEN = ("sealed", "row_hash", "updated_at", "last_seen_run")
_SEALED_SET = ", ".join(
    [f"{name} = NULL" for name in _PLAIN]
    + [f"{name} = excluded.{name}" for name in _SEALED_WRITTEN]
)
_SQLITE_SEALED_PROSPECTS = (
    f"INSERT INTO prospects ({_SEALED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "  # noqa: S608
    f"ON CONFLICT (customer_id, crm_id) DO UPDATE SET {_SEALED_SET} "
    "WHERE prospects.row_hash IS NOT excluded.row_hash"
)
_POSTGRES_SEALED_PROSPECTS = (
    f"INSERT INTO prospects AS p ({_SEALED_COLUMNS}) "  # noqa: S608
    "SELECT %s, crm_id, sealed, row_hash, %s, %s, %s "
    "FROM unnest(%b::text[], %b::text[], %b::text[]) AS page(crm_id, sealed, row_hash) "
    f"ON CONFLICT (customer_id, crm_id) DO UPDATE SET {_SEALED_SET} "
    "WHERE p.row_hash IS DISTINCT FROM excluded.row_hash"
)
_SQLITE_ADD_MEMBERS = (
    "INSERT INTO memberships (customer_id, report_id, crm_id, added_at, last_seen_run) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (customer_id, report_id, crm_id) DO NOTHING"
)
_POSTGRES_ADD_MEMBERS = (
    "INSERT INTO memberships (customer_id, report_id, crm_id, added_at, last_seen_run) "
    "SELECT %s, %s, crm_id, %s, %s FROM unnest(%b::text[]) AS page(crm_id) "
    "ON CONFLICT (customer_id, report_id, crm_id) DO NOTHING"
)


_SQLITE_LOG_REMOVALS = (
    "INSERT INTO member_removals (customer_id, report_id, crm_id, removed_at, reason) "
    "VALUES (?, ?, ?, ?, 'left') ON CONFLICT (customer_id, report_id, crm_id) DO UPDATE "
    "SET removed_at = excluded.removed_at, reason = excluded.reason"
)


#: The CRM's binary id order on PostgreSQL (the id-order index's collation), and on SQLite.
_POSTGRES_ID_ORDER = 'crm_id COLLATE "C"'
_SQLITE_ID_ORDER = "crm_id"
_POSTGRES_REMOVE_MEMBERS = (
    "WITH gone AS (DELETE FROM memberships "
    "WHERE customer_id = %s AND report_id = %s{in_range} AND crm_id = ANY(%b) "
    "RETURNING customer_id, report_id, crm_id) "
    "INSERT INTO member_removals (customer_id, report_id, crm_id, removed_at, reason) "
    "SELECT customer_id, report_id, crm_id, %s, 'left' FROM gone "
    "ON CONFLICT (customer_id, report_id, crm_id) DO UPDATE "
    "SET removed_at = excluded.removed_at, reason = excluded.reason"
)
_SQLITE_REMOVE_MEMBER = (
    "DELETE FROM memberships WHERE customer_id = ? AND report_id = ? AND crm_id = ?"
)
_MEMBERS_IN_RANGE = (
    "SELECT crm_id FROM memberships WHERE customer_id = {mark} AND report_id = {mark}{in_range}"
)


def members_removal(after: str | None, last: str) -> tuple[str, list[Any]]:
    """The PostgreSQL deletion of a call list's members that left the page's range, and its
    bounds; parameters (customer, report, *bounds, ids, removal time). The ids lie in
    (`after`, `last`] (`last` the largest of them), and saying so lets the id-order index find
    them: `= ANY` alone is planned as a read of the customer's whole list (through the index
    without statistics, a sequential scan with them once a page removes a few thousand rows).
    The removed members are logged for the change feed in the same statement (their crm id
    only): the count is the logged rows, one per deleted member."""
    in_range, bounds = _range(_POSTGRES_ID_ORDER, "%s", after, last)
    return _POSTGRES_REMOVE_MEMBERS.format(in_range=in_range), bounds


def members_in_range(dialect: str, after: str | None, until: str | None) -> tuple[str, list[Any]]:
    """The read of a call list's member ids in (`after`, `until`], in the CRM's binary id
    order, and its bounds; the statement's parameters are (customer, report, *bounds)."""
    postgres = dialect == "postgresql"
    mark = "%s" if postgres else "?"
    column = _POSTGRES_ID_ORDER if postgres else _SQLITE_ID_ORDER
    in_range, bounds = _range(column, mark, after, until)
    return _MEMBERS_IN_RANGE.format(mark=mark, in_range=in_range), bounds


def _range(column: str, mark: str, after: str | None, until: str | None) -> tuple[str, list[Any]]:
    """SQL and parameters for `after < column <= until` (either end open when None)."""
    sql, params = "", []
    if after is not None:
        sql += f" AND {column} > {mark}"
        params.append(after)
    if until is not None:
        sql += f" AND {column} <= {mark}"
        params.append(until)
    return sql, params


def upsert_prospects(
    cursor: Any, dialect: str, customer_id: str, run_id: str, now: Any, rows: Sequence[ProspectRow]
) -> int:
    """Insert the page's prospects or update those whose hash changed; returns how many
    were written. `now` is the timestamp as the driver takes it; crm ids are distinct."""
    if not rows:
        return 0
    if dialect == "postgresql":
        columns = [list(column) for column in zip(*(values for _, values, _ in rows), strict=True)]
        ids = [crm_id for crm_id, _, _ in rows]
        hashes = [digest for _, _, digest in rows]
        cursor.execute(_POSTGRES_PROSPECTS, [customer_id, now, now, run_id, ids, *columns, hashes])
        return int(cursor.rowcount)
    cursor.executemany(
        _SQLITE_PROSPECTS,
        [
            (customer_id, crm_id, *values, digest, now, now, run_id)
            for crm_id, values, digest in rows
        ],
    )
    return int(cursor.rowcount)


def upsert_sealed_prospects(
    cursor: Any, dialect: str, customer_id: str, run_id: str, now: Any, rows: Sequence[SealedRow]
) -> int:
    """`upsert_prospects` for rows that hold only a sealed value (their per-field columns are
    stored empty); returns how many were written. Crm ids are distinct."""
    if not rows:
        return 0
    if dialect == "postgresql":
        ids, sealed, hashes = (list(column) for column in zip(*rows, strict=True))
        cursor.execute(
            _POSTGRES_SEALED_PROSPECTS, [customer_id, now, now, run_id, ids, sealed, hashes]
        )
        return int(cursor.rowcount)
    cursor.executemany(
        _SQLITE_SEALED_PROSPECTS,
        [(customer_id, crm_id, value, digest, now, now, run_id) for crm_id, value, digest in rows],
    )
    return int(cursor.rowcount)


def reconcile_members(
    cursor: Any,
    dialect: str,
    customer_id: str,
    report_id: str,
    run_id: str,
    now: Any,
    after: str | None,
    until: str | None,
    keep: Sequence[str],
) -> tuple[int, int]:
    """Make the call list's members in (`after`, `until`] exactly `keep` (distinct ids in
    that range); returns (added, removed). Ids compare in binary order, as the CRM pages."""
    postgres = dialect == "postgresql"
    sql, bounds = members_in_range(dialect, after, until)
    cursor.execute(sql, [customer_id, report_id, *bounds])
    existing = {crm_id for (crm_id,) in cursor.fetchall()}
    gone = sorted(existing.difference(keep))
    new = [crm_id for crm_id in keep if crm_id not in existing]
    added = 0
    if postgres:
        if new:
            cursor.execute(_POSTGRES_ADD_MEMBERS, [customer_id, report_id, now, run_id, new])
            added = int(cursor.rowcount)
        removed = 0
        if gone:
            sql, bounds = members_removal(after, gone[-1])
            cursor.execute(sql, [customer_id, report_id, *bounds, gone, now])
            removed = int(cursor.rowcount)
        return added, removed
    if new:
        cursor.executemany(
            _SQLITE_ADD_MEMBERS, [(customer_id, report_id, crm_id, now, run_id) for crm_id in new]
        )
        added = int(cursor.rowcount)
    if gone:
        cursor.executemany(
            _SQLITE_REMOVE_MEMBER, [(customer_id, report_id, crm_id) for crm_id in gone]
        )
        cursor.executemany(
            _SQLITE_LOG_REMOVALS, [(customer_id, report_id, crm_id, now) for crm_id in gone]
        )
    return added, len(gone)


# A page's bookkeeping: its rejects, its checkpoint and its run's counters, on the same
# cursor as its rows (built per page by the ORM, these cost more than a row's write each).
_REJECTS = (
    "INSERT INTO rejected_rows (customer_id, run_id, report_id, crm_id, reason) "
    "VALUES ({marks}) ON CONFLICT (customer_id, run_id, report_id, crm_id) DO UPDATE "
    "SET reason = excluded.reason"
)
_CHECKPOINT = (
    "INSERT INTO checkpoints (customer_id, run_id, report_id, last_key, rows_read, done, "
    "updated_at) VALUES ({marks}) ON CONFLICT (customer_id, run_id, report_id) DO UPDATE "
    "SET last_key = excluded.last_key, rows_read = excluded.rows_read, done = excluded.done, "
    "updated_at = excluded.updated_at"
)
#: The run columns a page adds to, and those it overwrites (its status and API usage, which
#: the pull reads off its run for every page).
RUN_COUNTERS = (
    "rows_read",
    "prospects_written",
    "prospects_unchanged",
    "memberships_added",
    "memberships_removed",
    "rejected",
    "suppressed",
)
RUN_STAMPS = (
    "status",
    "api_calls",
    "api_used",
    "api_limit",
    "report_runs_remaining",
    "report_runs_max",
)


_COUNT_MEMBERS = (
    "SELECT count(*) FROM memberships WHERE customer_id = {mark} AND report_id = {mark}"
)
_STAMP_CALL_LIST = (
    "UPDATE call_lists SET row_count = {mark}, last_synced_at = {mark} "
    "WHERE customer_id = {mark} AND report_id = {mark}"
)


def stamp_call_list(cursor: Any, dialect: str, customer_id: str, report_id: str, now: Any) -> int:
    """Stamp a fully read call list with its member count and the time; returns the count
    (also for a report without a call list row, whose stamp then changes nothing)."""
    mark = _marks(dialect, 1)
    cursor.execute(_COUNT_MEMBERS.format(mark=mark), (customer_id, report_id))
    (members,) = cursor.fetchone()
    cursor.execute(_STAMP_CALL_LIST.format(mark=mark), (members, now, customer_id, report_id))
    return int(members)


def _marks(dialect: str, count: int) -> str:
    return ", ".join(["%s" if dialect == "postgresql" else "?"] * count)


def record_rejects(
    cursor: Any,
    dialect: str,
    customer_id: str,
    run_id: str,
    report_id: str,
    rejects: Sequence[tuple[str, str]],
) -> None:
    """Record the page's refused rows, (crm id, reason) each; a row refused again by the
    same run keeps its latest reason."""
    if rejects:
        cursor.executemany(
            _REJECTS.format(marks=_marks(dialect, 5)),
            [(customer_id, run_id, report_id, crm_id, reason) for crm_id, reason in rejects],
        )


def save_checkpoint(
    cursor: Any,
    dialect: str,
    customer_id: str,
    run_id: str,
    report_id: str,
    last_key: str | None,
    rows_read: int,
    done: bool,
    now: Any,
) -> None:
    """How far the run got in the report: the page's cursor and the rows read so far."""
    cursor.execute(
        _CHECKPOINT.format(marks=_marks(dialect, 7)),
        (customer_id, run_id, report_id, last_key, rows_read, done, now),
    )


def add_to_run(
    cursor: Any,
    dialect: str,
    customer_id: str,
    run_id: str,
    counts: Mapping[str, int],
    stamps: Mapping[str, Any],
) -> None:
    """Add the page's `counts` to the run's counters and write its `stamps` (both by column,
    from `RUN_COUNTERS` and `RUN_STAMPS`: a column name is never taken from elsewhere)."""
    unknown = (set(counts) - set(RUN_COUNTERS)) | (set(stamps) - set(RUN_STAMPS))
    if unknown:
        raise ValueError(f"not a run column a page writes: {', '.join(sorted(unknown))}")
    mark = _marks(dialect, 1)
    assignments = [f"{name} = {name} + {mark}" for name in counts]
    assignments += [f"{name} = {mark}" for name in stamps]
    cursor.execute(
        f"UPDATE sync_runs SET {', '.join(assignments)} "  # noqa: S608
        f"WHERE customer_id = {mark} AND run_id = {mark}",
        (*counts.values(), *stamps.values(), customer_id, run_id),
    )
