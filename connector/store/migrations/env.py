"""Alembic environment: runs on the connection `connector.store.engine.upgrade` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from connector.store import models

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=models.include_in_comparison,
)
with context.begin_transaction():
    context.run_migrations()
