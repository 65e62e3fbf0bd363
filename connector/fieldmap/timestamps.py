"""Parse date and date-time cells as reports show them.

Report rows carry ISO values (`2024-05-20`, `2024-05-20T13:45:00.000+0000`) or labels formatted
for the org's locale (`5/20/2024`); a `format` (strptime) option covers the latter. Naive
date-times are read in the configured time zone. Failures come back as `None` so that the
caller turns them into a reject reason: nothing here raises for bad input.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo


def zone(name: str | None) -> tzinfo:
    """The time zone named `name` (IANA), UTC when None. Raises KeyError/ValueError if unknown."""
    return ZoneInfo(name) if name else UTC


def _iso_datetime(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _formatted(text: str, fmt: str | None) -> datetime | None:
    if not fmt:
        return None
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        return None


def parse_datetime(text: str, fmt: str | None, tz: tzinfo) -> datetime | None:
    """Parse `text` into an aware date-time (naive values are in `tz`); None if unparseable."""
    parsed = _formatted(text, fmt) or _iso_datetime(text)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def parse_date(text: str, fmt: str | None, tz: tzinfo) -> date | None:
    """Parse `text` into a date; a date-time with an offset is first converted into `tz`."""
    parsed = _formatted(text, fmt)
    if parsed is None:
        try:
            return date.fromisoformat(text)
        except ValueError:
            parsed = _iso_datetime(text)
    if parsed is None:
        return None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(tz)
        except (OverflowError, ValueError):
            return None
    return parsed.date()


def to_utc_text(moment: datetime) -> str | None:
    """`moment` in UTC as `YYYY-MM-DDTHH:MM:SSZ`; None when it falls outside the calendar."""
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return utc.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
