"""The read API's opaque cursors: where a page or a change feed stopped (pure).

A page cursor holds the last CRM id served and the moment the full read began (so that, at
its end, following changes starts from before the read and nothing written meanwhile is
lost). A change cursor holds a position in change order: a time and a CRM id. Both are
URL-safe base64 of a small JSON object, with a prefix saying which kind they are. They carry
no personal data (a CRM record id is the system's own key) and grant nothing: the customer and
call list come from the path, which the caller's token must cover.

Errors: ValueError with a message fit for a 400 when a cursor is malformed or of the other kind.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from connector.store.read_rows import ChangePosition

_PAGE = "p1."
_CHANGE = "c1."


@dataclass(frozen=True)
class PageCursor:
    """After `after` (None: from the start), in a full read that began at `started`."""

    after: str | None
    started: datetime


def _pack(prefix: str, data: dict[str, str | None]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return prefix + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unpack(prefix: str, token: str, what: str) -> dict[str, str | None]:
    if not token.startswith(prefix):
        raise ValueError(f"not a {what} cursor; pass back the value the API returned")
    body = token[len(prefix) :]
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError(f"malformed {what} cursor; pass back the value the API returned") from None
    if not isinstance(data, dict) or not all(isinstance(v, str | None) for v in data.values()):
        raise ValueError(f"malformed {what} cursor; pass back the value the API returned")
    return data


def _time(value: str | None, what: str) -> datetime:
    try:
        when = datetime.fromisoformat(value or "")
    except ValueError:
        raise ValueError(f"malformed {what} cursor; pass back the value the API returned") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def encode_page(cursor: PageCursor) -> str:
    """The opaque form of a page cursor."""
    return _pack(_PAGE, {"a": cursor.after, "t": cursor.started.isoformat()})


def decode_page(token: str) -> PageCursor:
    """Read a page cursor. Raises ValueError."""
    data = _unpack(_PAGE, token, "page")
    return PageCursor(after=data.get("a"), started=_time(data.get("t"), "page"))


def encode_change(position: ChangePosition) -> str:
    """The opaque form of a change cursor."""
    return _pack(_CHANGE, {"t": position.at.isoformat(), "id": position.crm_id})


def decode_change(token: str) -> ChangePosition:
    """Read a change cursor. Raises ValueError."""
    data = _unpack(_CHANGE, token, "change")
    return ChangePosition(at=_time(data.get("t"), "change"), crm_id=data.get("id") or "")
