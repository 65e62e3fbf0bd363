"""Words for times and shares in status tables (pure; the CLI and the console share them)."""

from __future__ import annotations

from datetime import datetime


def ago(when: datetime | None, now: datetime) -> str:
    """`when` relative to `now`: "3m ago", "in 2h", "-" when unknown."""
    if when is None:
        return "-"
    seconds = (when - now).total_seconds()
    words = span(abs(seconds))
    return f"in {words}" if seconds > 0 else f"{words} ago"


def span(seconds: float) -> str:
    """A duration in its largest sensible unit: 42s, 5m, 3h, 2d."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def percent(share: float | None) -> str:
    """A share as a whole percentage ("-" when unknown)."""
    return "-" if share is None else f"{share * 100:.0f}%"
