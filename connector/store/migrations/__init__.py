"""Alembic migrations of the store. `create_schema` applies them; nothing else needs to."""
