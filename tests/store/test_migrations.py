"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and
only `migrate` (`connector db upgrade`) changes it: start-up checks are read-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from connector.errors import ConfigError
from connector.store import check_schema, make_engine, migrate
from connector.store.engine import alembic_config, include_name, schema_status
from tests.helpers.stores import owner_of


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with owner_of(engine).connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_migrating_twice_changes_nothing(engine: Engine) -> None:
    before = migrate(owner_of(engine))
    assert before.up_to_date
    assert schema_status(engine).current == before.head is not None


def test_a_brand_new_sqlite_file_is_initialised_at_start_up(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")

    check_schema(engine)

    assert schema_status(engine).up_to_date
    assert "prospects" in inspect(engine).get_table_names()


def test_a_store_behind_the_code_is_refused_at_start_up_and_left_as_it_was(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")

    with pytest.raises(ConfigError, match=r"revision 0001.*run `connector db upgrade`"):
        check_schema(engine)

    assert schema_status(engine).current == "0001"


def test_a_store_at_an_unknown_revision_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'future.db'}")
    migrate(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'from_the_future'")

    with pytest.raises(ConfigError, match="does not know: upgrade connector"):
        check_schema(engine)


def test_the_application_role_passes_the_start_up_check_on_an_up_to_date_postgres_store(
    postgres_engine: Engine,
) -> None:
    assert schema_status(postgres_engine).up_to_date
    check_schema(postgres_engine)
