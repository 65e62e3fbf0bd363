"""Alembic migrations of the store, applied by `connector db upgrade` (`store.engine.migrate`)."""
