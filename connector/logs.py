"""Log lines an operator can ship: plain text for people, or one JSON object per line.

`CONNECTOR_LOG_FORMAT=json` makes every record a JSON object with `time`, `level`, `logger`,
`event` (the module and function that logged, stable across releases of a message's wording),
`message`, and the context bound with `log_context`: `customer`, `run_id`, `job`. Messages follow
the project's rule (ids, counts and codes; never personal data or secrets), and `scrub` removes
any registered secret value again before a line is written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from connector.errors import scrub

CONTEXT_FIELDS = ("customer", "run_id", "job")
_context: ContextVar[dict[str, str]] = ContextVar("connector_log_context", default={})  # noqa: B039
#: Whether a `log_context` is open: `bind` outside one would outlive its job.
_open: ContextVar[bool] = ContextVar("connector_log_context_open", default=False)


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Add `fields` (customer, run_id, job) to every record logged inside the block."""
    known = {k: v for k, v in fields.items() if k in CONTEXT_FIELDS and v is not None}
    token, opened = _context.set({**_context.get(), **known}), _open.set(True)
    try:
        yield
    finally:
        _open.reset(opened)
        _context.reset(token)


def bind(**fields: str | None) -> None:
    """Add `fields` to the current context until the enclosing `log_context` ends (outside
    one, nothing: the fields would stay bound to whatever the process does next)."""
    if not _open.get():
        return
    current = dict(_context.get())
    current.update({k: v for k, v in fields.items() if k in CONTEXT_FIELDS and v is not None})
    _context.set(current)


class ContextFilter(logging.Filter):
    """Copies the bound context onto each record (so any formatter can use it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring for the keys)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": f"{record.module}.{record.funcName}",
            "message": scrub(record.getMessage()),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            data.update({k: v for k, v in access.items() if k not in data})
        if record.exc_info:
            data["error"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(data, ensure_ascii=False)


def json_handler(stream: Any = None) -> logging.Handler:
    """A stream handler writing JSON lines with the bound context."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    return handler
