"""Open choices: `# TODO:` comments left in a field map make it refuse to load.

`connector fieldmap init` drafts a map and marks each choice it could not make with a
`# TODO: ...` comment. Loading refuses a map that still holds one (each reported as
`file:line: open choice ...`), so an unfinished draft is never synced. A comment is a `#` at
the start of a line or after a space; the word TODO must follow it.
"""

from __future__ import annotations

import re

from connector.fieldmap.problems import Problem

TODO_COMMENT = re.compile(r"(?:^|\s)#\s*TODO\b:?\s*(?P<what>.*)$")


def open_choices(text: str) -> list[Problem]:
    """One problem per line of `text` holding a `# TODO` comment, naming what is open."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = TODO_COMMENT.search(line)
        if match:
            what = match.group("what").strip().rstrip(".") or "an open choice"
            problems.append(
                Problem(
                    number,
                    "",
                    f"open choice marked TODO ({what}); decide it, then delete the TODO comment",
                )
            )
    return problems
