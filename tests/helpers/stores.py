"""Which engine sees every customer's rows, for assertions that look across customers.

Kept out of `conftest.py`: pytest imports that file under its own module name, so state
there would not be shared with test modules importing `tests.conftest`.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

_OWNERS: dict[int, Engine] = {}


def register_owner(app: Engine, owner: Engine) -> None:
    _OWNERS[id(app)] = owner


def forget_owner(app: Engine) -> None:
    _OWNERS.pop(id(app), None)


def owner_of(engine: Engine) -> Engine:
    """The engine that sees every customer's rows: the owner's for the PostgreSQL app engine,
    the engine itself on SQLite."""
    return _OWNERS.get(id(engine), engine)
