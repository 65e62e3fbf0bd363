"""Which engine sees every customer's rows (for assertions that look across customers), and
what a child process needs to open the same store.

Kept out of `conftest.py`: pytest imports that file under its own module name, so state
there would not be shared with test modules importing `tests.conftest`.
"""

from __future__ import annotations

import os

from sqlalchemy.engine import Engine

_OWNERS: dict[int, Engine] = {}
_TENANT_KEYS: dict[int, str] = {}


def register_owner(app: Engine, owner: Engine, tenant_key: str) -> None:
    _OWNERS[id(app)] = owner
    _TENANT_KEYS[id(app)] = tenant_key


def forget_owner(app: Engine) -> None:
    _OWNERS.pop(id(app), None)
    _TENANT_KEYS.pop(id(app), None)


def child_env(engine: Engine) -> dict[str, str]:
    """The environment a child process needs to open `engine`'s store as the application
    (on PostgreSQL, the tenant key)."""
    key = _TENANT_KEYS.get(id(engine))
    return {**os.environ, "CONNECTOR_TENANT_KEY": key} if key else dict(os.environ)


def owner_of(engine: Engine) -> Engine:
    """The engine that sees every customer's rows: the owner's for the PostgreSQL app engine,
    the engine itself on SQLite."""
    return _OWNERS.get(id(engine), engine)
