"""The request log: what every client asked the sandbox, so tests can prove what was (not) sent.

Entries keep the method, path, parsed query, parsed JSON body and, for form posts, only the
form *keys*: form values carry client secrets, assertions and refresh tokens. Headers are
never recorded, so neither are bearer tokens.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox.formats import iso_z


@dataclass(frozen=True)
class RequestLogEntry:
    """One request (``direction="inbound"``) or one outbound-message delivery (``"outbound"``)."""

    method: str
    path: str
    query: dict[str, str]
    json_body: Any | None
    form_keys: list[str]
    status: int
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    direction: str = "inbound"

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "json_body": self.json_body,
            "form_keys": self.form_keys,
            "status": self.status,
            "at": iso_z(self.at),
            "direction": self.direction,
        }


class RequestLog:
    """An append-only, thread-safe list of entries."""

    def __init__(self) -> None:
        self._entries: list[RequestLogEntry] = []
        self._lock = threading.Lock()

    def append(self, entry: RequestLogEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[RequestLogEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
