"""Erased and forgotten data leaves the database files, not only the tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from privacy_builders import ADA, BOB, PEOPLE, Person, seed_customer
from sqlalchemy import text
from sqlalchemy.engine import Engine

from connector.privacy.erase import erase_customer, request_erasure
from connector.privacy.forget import forget_subject
from connector.privacy.subjects import parse_subject
from connector.store import make_engine, migrate
from connector.store.compact import compact_store

KNOWN = Person(
    "003000000000009AAA", "known.person.4711@example.org", "+14155550109", "Known", "Person"
)


def no_revoke(_engine: Engine, _customer: str) -> None:
    return None


def file_bytes(db: Path) -> bytes:
    """The database file and its WAL, as they are on disk."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def store_engine(db: Path) -> Engine:
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    return engine


def test_every_connection_deletes_securely(store_engine: Engine) -> None:
    with store_engine.connect() as conn:
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1


def test_after_erase_the_email_is_in_neither_the_database_nor_the_wal(
    store_engine: Engine, db: Path
) -> None:
    seed_customer(store_engine, "acme", [*PEOPLE, KNOWN])
    seed_customer(store_engine, "beta")
    # another process's engine (a running `serve`) with an idle connection open
    other = make_engine(f"sqlite:///{db}")
    idle = other.connect()
    idle.execute(text("SELECT count(*) FROM prospects")).scalar()
    idle.commit()
    try:
        assert KNOWN.email.encode() in file_bytes(db)
        request_erasure(store_engine, "acme", "cli:ops")
        erase_customer(store_engine, "acme", revoke=no_revoke)
        assert KNOWN.email.encode() not in file_bytes(db)
        assert BOB.email.encode() in file_bytes(db)  # beta's copy: the scan does see data
    finally:
        idle.close()
        other.dispose()


def test_after_forget_the_email_is_in_neither_the_database_nor_the_wal(
    store_engine: Engine, db: Path, suppression_key: str
) -> None:
    store = seed_customer(store_engine, "acme", [*PEOPLE, KNOWN])
    assert KNOWN.email.encode() in file_bytes(db)
    forget_subject(store, parse_subject("email", KNOWN.email), "cli:ops")
    data = file_bytes(db)
    assert KNOWN.email.encode() not in data
    assert ADA.email.encode() in data


def test_compaction_on_postgres_vacuums_the_tenant_tables(postgres_engine: Engine) -> None:
    seed_customer(postgres_engine, "acme")
    outcome = compact_store(postgres_engine)
    assert outcome.engine == "postgresql" and outcome.vacuumed
