"""Physical deletion: after an erasure or a forget, make the deleted bytes leave the files.

Deleting a row marks its space free; the bytes stay in the database file (and in the WAL)
until overwritten. What this module does, per engine:

- SQLite: every connection runs with `secure_delete` on (`store.engine`), so deleted cells
  and freed pages are overwritten with zeros. `compact_store` then closes this process's
  pooled connections (an open connection can keep a read snapshot, which stops a checkpoint
  from resetting the WAL), checkpoints the WAL into the database, runs `VACUUM` (the file is
  rebuilt from live rows only) and checkpoints again with `TRUNCATE`, leaving an empty WAL.
  A connection held open by another process (a second `serve`) in a read transaction can
  still hold the WAL; the checkpoint then reports it as busy, and it is logged.
- PostgreSQL: `VACUUM` on the tenant tables, so the dead rows' space is reclaimed for reuse.
  A plain `VACUUM` does not overwrite the old tuples; only `VACUUM FULL` rewrites the tables
  (under an exclusive lock), and WAL segments and base backups keep the old rows until they
  are recycled and rotated. The README says what remains where.

Errors are logged, never raised: the deletion itself has already been committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from connector.store.models import TENANT_TABLES, AccessToken

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Compaction:
    """What compaction did: `wal_busy` when a checkpoint could not finish (a reader held it)."""

    engine: str
    vacuumed: bool
    wal_busy: bool = False


def compact_store(engine: Engine) -> Compaction:
    """Push deleted rows out of the store's files as far as the engine allows (see module)."""
    try:
        if engine.dialect.name == "sqlite":
            return _compact_sqlite(engine)
        if engine.dialect.name == "postgresql":
            return _compact_postgres(engine)
    except SQLAlchemyError as exc:
        log.warning("store compaction failed: %s", type(exc).__name__)
        return Compaction(engine.dialect.name, vacuumed=False)
    return Compaction(engine.dialect.name, vacuumed=False)


def _compact_sqlite(engine: Engine) -> Compaction:
    engine.dispose()  # no pooled connection of ours keeps a snapshot of the old pages
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        conn.commit()
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.execute("VACUUM")
        busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    engine.dispose()
    if busy:
        log.warning("store compaction: another connection holds the WAL; it is reset later")
    return Compaction("sqlite", vacuumed=True, wal_busy=bool(busy))


def _compact_postgres(engine: Engine) -> Compaction:
    names = [str(model.__tablename__) for model in TENANT_TABLES]
    names.append(str(AccessToken.__tablename__))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM {', '.join(names)}"))
    return Compaction("postgresql", vacuumed=True)
