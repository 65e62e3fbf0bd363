"""Wire formats for values: how Salesforce writes dates and datetimes in each API.

* REST records: datetime ``2024-05-20T16:15:00.000+0000``, date ``2024-05-20``.
* Report cells: value datetime ``2024-05-20T16:15:00Z``, label ``5/20/2024 4:15 PM``; value
  date ``2024-05-20``, label ``5/20/2024`` (en_US, UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def rest_value(value: Any) -> Any:
    """A stored value as the REST API writes it in JSON."""
    if isinstance(value, dt.datetime):
        return rest_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def rest_datetime(value: dt.datetime) -> str:
    """``YYYY-MM-DDThh:mm:ss.SSS+0000`` in UTC."""
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def iso_z(value: dt.datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` in UTC (report cell values, admin JSON)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_label(value: dt.date) -> str:
    """en_US short date: ``5/20/2024``."""
    return f"{value.month}/{value.day}/{value.year}"


def datetime_label(value: dt.datetime) -> str:
    """en_US short date and time: ``5/20/2024 4:15 PM``."""
    utc = value.astimezone(dt.UTC)
    hour = utc.hour % 12 or 12
    meridiem = "AM" if utc.hour < 12 else "PM"
    return f"{date_label(utc)} {hour}:{utc.minute:02d} {meridiem}"


def parse_datetime(text: str) -> dt.datetime:
    """Parse an ISO-8601 datetime (``Z``, ``+0000`` or ``+00:00``; date-only = midnight UTC)."""
    cleaned = text.strip().replace("Z", "+00:00")
    if len(cleaned) >= 5 and cleaned[-5] in "+-" and cleaned[-4:].isdigit():
        cleaned = cleaned[:-2] + ":" + cleaned[-2:]
    value = dt.datetime.fromisoformat(cleaned)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value
