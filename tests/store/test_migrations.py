"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from connector.store import create_schema
from connector.store.engine import alembic_config


def schema_dump(engine: Engine) -> dict[str, Any]:
    """Tables with their columns, keys and indexes, the revision, and PostgreSQL's policies."""
    with engine.connect() as connection:
        found = inspect(connection)
        tables = {
            name: {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                    for c in found.get_columns(name)
                ],
                "primary_key": found.get_pk_constraint(name)["constrained_columns"],
                "foreign_keys": sorted(
                    (tuple(fk["constrained_columns"]), fk["referred_table"])
                    for fk in found.get_foreign_keys(name)
                ),
                "indexes": sorted(
                    (i["name"] or "", tuple(i["column_names"]), bool(i["unique"]))
                    for i in found.get_indexes(name)
                ),
                "unique": sorted(
                    tuple(u["column_names"]) for u in found.get_unique_constraints(name)
                ),
            }
            for name in sorted(found.get_table_names())
        }
        policies: list[tuple[Any, ...]] = []
        if engine.dialect.name == "postgresql":
            rows = connection.execute(
                text(
                    "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies "
                    "WHERE schemaname = current_schema() ORDER BY tablename, policyname"
                )
            )
            policies = [tuple(row) for row in rows]
        revision = MigrationContext.configure(connection).get_current_revision()
    return {"tables": tables, "policies": policies, "revision": revision}


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_migrating_twice_changes_nothing(engine: Engine) -> None:
    before = schema_dump(engine)
    create_schema(engine)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    after = schema_dump(engine)
    assert before["revision"] is not None
    assert before["tables"]["activities"]["columns"]  # the dump sees the schema at all
    assert after == before
