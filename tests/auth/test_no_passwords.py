"""Invariant 3 (no passwords): no option, setting or column for a CRM password; no such grant."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
from sqlmodel import SQLModel

import connector
from connector.config import Settings
from connector.store import models  # noqa: F401  (registers every table)

PASSWORDISH = re.compile(r"pass(word)?|passwd|pwd", re.IGNORECASE)
PACKAGE = Path(connector.__file__).parent


def _all_params(app: typer.Typer) -> list[str]:
    names: list[str] = []

    def walk(command: Any) -> None:
        for param in command.params:
            names.append(param.name or "")
            names.extend(param.opts)
        for sub in (getattr(command, "commands", None) or {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return names


def test_no_cli_option_is_named_like_a_password() -> None:
    from connector.cli.auth import auth_app, secrets_app

    params = _all_params(auth_app) + _all_params(secrets_app)
    assert "--client-id" in params and "--key" in params
    assert [p for p in params if PASSWORDISH.search(p)] == []


def test_no_option_of_the_whole_cli_is_named_like_a_password() -> None:
    from connector.cli import app

    assert [p for p in _all_params(app) if PASSWORDISH.search(p)] == []


def test_no_setting_is_named_like_a_password() -> None:
    assert "secret_keys" in Settings.model_fields
    assert [name for name in Settings.model_fields if PASSWORDISH.search(name)] == []


def test_no_database_column_is_named_like_a_password() -> None:
    columns = [
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
    ]
    assert "connections.refresh_token_enc" in columns
    assert [c for c in columns if PASSWORDISH.search(c.split(".", 1)[1])] == []


def test_the_username_password_grant_is_not_implemented() -> None:
    sources = [path for folder in ("crm", "cli") for path in (PACKAGE / folder).rglob("*.py")] + [
        PACKAGE / "vault.py"
    ]
    grant = re.compile(r"""grant_type["']?\s*[:=,]\s*["']password""")
    offenders = [str(p) for p in sources if grant.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
