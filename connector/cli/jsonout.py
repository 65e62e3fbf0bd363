"""`--json` on listing commands: one JSON document on stdout, keys documented in the README.

Printed with the standard library, not the console, so no markup, colour or wrapping ever
reaches a script. Times are ISO-8601 in UTC.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import typer

JSON_OPTION = typer.Option(False, "--json", help="Print JSON (stable keys, see the README).")


def iso(when: datetime | None) -> str | None:
    """`when` as ISO-8601 UTC (naive times are UTC, as SQLite hands them back)."""
    if when is None:
        return None
    return (when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)).isoformat()


def print_json(data: Any) -> None:
    """Write `data` as one indented JSON document and a newline to stdout."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")
    sys.stdout.flush()
