"""Export what the store holds for a customer (art. 20 / offboarding) or for one subject (art. 15).

Output: a directory with one JSON Lines file per table (one row per line, keys sorted, UTC
ISO timestamps) and `manifest.json` naming the customer, the time, the scope and, per file,
its table, row count and SHA-256. Secret columns (the encrypted tokens and keys of the
connection, the wrapped data key) are never exported; the manifest lists the columns left
out. Personal fields are written decrypted (the export is for the customer or the subject).
All tables are read in one transaction together with the export's own audit event, so the
files agree with each other and a failed export leaves no audit event behind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from connector.errors import ConfigError
from connector.localfiles import make_private_dir, open_private
from connector.privacy.audit import build_audit_event
from connector.privacy.keys import customer_cipher, open_activity_rows, open_prospect_rows
from connector.privacy.subjects import Subject, matching_crm_ids
from connector.store.connections import SECRET_COLUMNS
from connector.store.models import TENANT_TABLES, Activity, Prospect, TenantRow, utcnow
from connector.store.privacy_rows import SUBJECT_TABLES, table_name
from connector.store.tenant import TenantStore

MANIFEST = "manifest.json"
FORMAT = "connector-export/1"


def secret_columns(model: type[TenantRow]) -> list[str]:
    """The columns of `model` that hold secrets and are never exported."""
    names = model.model_fields
    return sorted(name for name in names if name in SECRET_COLUMNS or name.endswith("_enc"))


@dataclass(frozen=True)
class ExportedFile:
    """One file of an export: the table it holds, its row count and checksum."""

    file: str
    table: str
    rows: int
    sha256: str


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> tuple[int, str]:
    """Write `rows` as JSON Lines to `path`; returns (row count, SHA-256 of the bytes)."""
    digest = hashlib.sha256()
    count = 0
    with open_private(path) as handle:
        for row in rows:
            line = json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"
            handle.write(line)
            digest.update(line)
            count += 1
    return count, digest.hexdigest()


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes (to verify an export against its manifest)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _prepare(out_dir: Path) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ConfigError(f"export directory {out_dir} is not empty; choose a new one")
    make_private_dir(out_dir)


def _export(
    store: TenantStore,
    out_dir: Path,
    actor: str,
    models: Sequence[type[TenantRow]],
    scope: Mapping[str, Any],
    crm_ids: Sequence[str] | None = None,
    on_table: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    _prepare(out_dir)
    created_at: datetime = utcnow()
    audit = build_audit_event(store.customer_id, actor, "export", {**scope, "tables": len(models)})
    files: list[ExportedFile] = []
    cipher = customer_cipher(store)
    with store.session() as session:
        session.add(audit)
        session.flush()
        for model in models:
            table = table_name(model)
            rows = store.iter_rows(session, model, crm_ids=crm_ids, exclude=secret_columns(model))
            if model is Prospect:
                rows = open_prospect_rows(cipher, rows)
            elif model is Activity:
                rows = open_activity_rows(cipher, rows)
            count, digest = write_jsonl(out_dir / f"{table}.jsonl", rows)
            files.append(ExportedFile(f"{table}.jsonl", table, count, digest))
            if on_table is not None:
                on_table(table)
    manifest = {
        "format": FORMAT,
        "customer": store.customer_id,
        "created_at": created_at.isoformat(),
        **scope,
        "files": [file.__dict__ for file in files],
        "excluded_columns": {
            table_name(model): secret_columns(model) for model in models if secret_columns(model)
        },
    }
    with open_private(out_dir / MANIFEST) as handle:
        handle.write((json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return manifest


def export_customer(
    store: TenantStore,
    out_dir: Path,
    actor: str,
    on_table: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Export every tenant table of the customer to `out_dir`; returns the manifest.

    `on_table` is told each table written (for progress). Raises ConfigError when `out_dir`
    exists and is not empty, StoreError when the store fails.
    """
    return _export(store, out_dir, actor, TENANT_TABLES, {"scope": "customer"}, None, on_table)


def export_subject(
    store: TenantStore,
    subject: Subject,
    out_dir: Path,
    actor: str,
    on_table: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Export one subject's rows (prospect, memberships, activities, rejects); returns the manifest.

    The manifest names the kind of identifier used, never the identifier. Raises ConfigError
    when `out_dir` is not empty, StoreError when the store fails.
    """
    rows = open_prospect_rows(customer_cipher(store), store.contact_rows())
    crm_ids = sorted(matching_crm_ids(subject, rows))
    scope = {"scope": "subject", "subject_kind": subject.kind}
    return _export(store, out_dir, actor, list(SUBJECT_TABLES), scope, crm_ids, on_table)
