"""What a field-map problem is, how it is written, and the error that carries them all.

Loading collects every problem before failing, so a person fixes the file in one pass. Each
problem prints as `file:line key: problem; fix`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from connector.errors import FieldMapError

KeyPath = tuple[str | int, ...]


class Problem(NamedTuple):
    """One thing wrong with a field map: 1-based line (if known), dotted key and message."""

    line: int | None
    key: str
    message: str


def key_text(path: KeyPath) -> str:
    """A key path as written in messages: `prospect.fields.email`, `source.reports[1]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def format_problem(source: str, problem: Problem) -> str:
    """`file:line key: message` (parts that are unknown are left out)."""
    location = f"{source}:{problem.line}" if problem.line else source
    key = f" {problem.key}" if problem.key else ""
    return f"{location}{key}: {problem.message}"


class InvalidFieldMapError(FieldMapError):
    """A field map failed to load. `problems` lists every (line, key, message) found.

    The message's first line counts the problems; one line per problem follows. `line` and
    `key` are those of the first problem.
    """

    def __init__(
        self, source: str, problems: Sequence[Problem], *, customer: str | None = None
    ) -> None:
        ordered = sorted(problems, key=lambda p: p.line if p.line is not None else 1 << 30)
        count = f"{len(ordered)} problem{'s' if len(ordered) != 1 else ''} in field map"
        lines = [format_problem(source, problem) for problem in ordered]
        super().__init__("\n".join([count, *lines]), path=source, customer=customer)
        self.problems: list[Problem] = ordered
        self.line = ordered[0].line if ordered else None
        self.key = (ordered[0].key or None) if ordered else None
