"""Exports: complete, checksummed, without secrets; a subject export holds only that subject."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from privacy_builders import ADA, BOB, seed_customer
from sqlalchemy.engine import Engine

from connector.errors import ConfigError
from connector.privacy.export import MANIFEST, export_customer, export_subject, sha256_file
from connector.privacy.subjects import parse_subject
from connector.store.models import TENANT_TABLES


def _lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_given_a_customer_when_exported_then_the_manifest_counts_and_checksums_match(
    engine: Engine, tmp_path: Path
) -> None:
    store = seed_customer(engine, "acme")
    seed_customer(engine, "beta")
    out = tmp_path / "export"

    manifest = export_customer(store, out, "cli:ops")

    assert json.loads((out / MANIFEST).read_text()) == manifest
    assert manifest["customer"] == "acme" and manifest["scope"] == "customer"
    counts = store.table_counts()
    files = {entry["table"]: entry for entry in manifest["files"]}
    assert set(files) == {model.__tablename__ for model in TENANT_TABLES}
    for table, entry in files.items():
        path = out / entry["file"]
        assert entry["rows"] == counts[table] == len(_lines(path)), table
        assert entry["sha256"] == sha256_file(path), table
        assert all(row["customer_id"] == "acme" for row in _lines(path)), table


def test_an_export_never_holds_a_secret_column(sqlite_engine: Engine, tmp_path: Path) -> None:
    store = seed_customer(sqlite_engine, "acme")

    manifest = export_customer(store, tmp_path / "x", "cli:ops")

    [connection] = _lines(tmp_path / "x" / "connections.jsonl")
    assert connection["login_url"] == "https://login.example.com"
    assert not [name for name in connection if name.endswith("_enc")]
    everything = "".join(p.read_text() for p in (tmp_path / "x").iterdir())
    assert "SECRET-" not in everything
    assert "refresh_token_enc" in manifest["excluded_columns"]["connections"]


def test_an_export_is_audited_and_includes_its_own_event(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    store = seed_customer(sqlite_engine, "acme")
    export_customer(store, tmp_path / "x", "cli:ops")

    [event] = [e for e in store.audit_events() if e.action == "export"]
    assert event.actor == "cli:ops"
    exported = _lines(tmp_path / "x" / "audit_events.jsonl")
    assert event.event_id in {row["event_id"] for row in exported}


def test_an_export_refuses_a_directory_that_is_not_empty(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    store = seed_customer(sqlite_engine, "acme")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "old.txt").write_text("keep")
    with pytest.raises(ConfigError, match="not empty"):
        export_customer(store, tmp_path / "x", "cli:ops")
    assert [e for e in store.audit_events() if e.action == "export"] == []


def test_a_subject_export_holds_their_prospect_memberships_and_activities_only(
    engine: Engine, tmp_path: Path
) -> None:
    store = seed_customer(engine, "acme")

    manifest = export_subject(
        store, parse_subject("email", " ada.LOVELACE@example.com"), tmp_path / "s", "cli:ops"
    )

    files = {entry["table"]: entry["rows"] for entry in manifest["files"]}
    assert files == {"prospects": 1, "memberships": 1, "activities": 2, "rejected_rows": 1}
    [prospect] = _lines(tmp_path / "s" / "prospects.jsonl")
    assert prospect["email"] == ADA.email
    for table in ("memberships", "activities"):
        text = (tmp_path / "s" / f"{table}.jsonl").read_text()
        assert ADA.crm_id in text and BOB.crm_id not in text
    assert manifest["subject_kind"] == "email"
    assert "lovelace" not in json.dumps(manifest).lower()
    [event] = [e for e in store.audit_events() if e.action == "export"]
    assert "lovelace" not in (event.detail or "").lower()


def test_given_open_umask_then_export_files_are_0600(engine: Engine, tmp_path: Path) -> None:
    import os
    import stat

    store = seed_customer(engine, "acme")
    previous = os.umask(0)
    try:
        export_customer(store, tmp_path / "out" / "x", "cli:ops")
    finally:
        os.umask(previous)
    out = tmp_path / "out" / "x"
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert modes and set(modes.values()) == {0o600}, modes
