"""Parse the `schedule` section's durations ("15m", "1h30m") and check cron expressions.

Pure parsing with ValueError messages that say what is accepted, so the model can turn them
into `file:line key: problem; fix` lines.
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
DURATION_PATTERN = r"^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$"

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_CRON_NAMES: tuple[dict[str, int], ...] = (
    {},
    {},
    {},
    {m: i + 1 for i, m in enumerate(_MONTHS)},
    {d: i for i, d in enumerate(_DAYS)},
)
_CRON_FIELDS = ("minute", "hour", "day of month", "month", "day of week")
_CRON_MACROS = frozenset({"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly"})


def parse_duration(value: object) -> timedelta:
    """Read "90s", "15m", "1h30m" or "2d" (or a timedelta) as a timedelta.

    Raises ValueError saying which forms are accepted.
    """
    if isinstance(value, timedelta):
        return value
    text = value.strip() if isinstance(value, str) else ""
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 15m, 1h30m or 1d")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    try:
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise ValueError(f"{value!r} is too long a duration; write at most 365d") from None


def _cron_value(token: str, index: int) -> int:
    names = _CRON_NAMES[index]
    if token.lower() in names:
        return names[token.lower()]
    if not token.isdigit() or len(token) > 2:
        raise ValueError(f"{token!r} is not a valid {_CRON_FIELDS[index]}")
    low, high = _CRON_RANGES[index]
    number = int(token)
    if not low <= number <= high:
        raise ValueError(f"{_CRON_FIELDS[index]} {number} is outside {low}-{high}")
    return number


def _check_cron_part(part: str, index: int) -> None:
    base, _, step = part.partition("/")
    if "/" in part and (not step.isdigit() or int(step) == 0 or len(step) > 2):
        raise ValueError(f"step {step!r} in {part!r} must be a number from 1 to 99")
    if base == "*":
        return
    low, dash, high = base.partition("-")
    first = _cron_value(low, index)
    if dash and _cron_value(high, index) < first:
        raise ValueError(f"range {base!r} runs backwards")


def check_cron(expression: str) -> str:
    """Return the cron expression (5 fields, or a macro like @hourly) with whitespace normalized.

    Raises ValueError naming the offending field.
    """
    text = " ".join(expression.split())
    if text.lower() in _CRON_MACROS:
        return text.lower()
    fields = text.split(" ")
    if len(fields) != 5:
        raise ValueError(
            f"cron needs 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    for index, field in enumerate(fields):
        for part in field.split(","):
            _check_cron_part(part, index)
    return text
