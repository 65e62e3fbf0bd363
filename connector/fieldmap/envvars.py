"""Replace `${VAR}` and `${VAR:-default}` in field-map strings from the environment.

Shell semantics: `${VAR:-default}` uses the default when VAR is unset or empty; `$$` writes a
literal `$`. A variable that is unset and has no default is a problem for the caller to
report with its line, never silently an empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_REFERENCE = re.compile(r"\$\$|\$\{([^{}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def interpolate(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Return `text` with references replaced, and a message for each one that cannot be."""
    problems: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        inner = match.group(1)
        name, has_default, default = inner.partition(":-")
        if not _NAME.fullmatch(name):
            problems.append(
                f"'${{{inner}}}' is not a variable reference; write ${{NAME}} or "
                "${NAME:-default} (and $$ for a literal $)"
            )
            return match.group(0)
        value = env.get(name)
        if value:
            return value
        if has_default:
            return default
        if value is not None:
            return value
        problems.append(
            f"environment variable {name} is not set; set it or write ${{{name}:-default}}"
        )
        return match.group(0)

    return _REFERENCE.sub(replace, text), problems
