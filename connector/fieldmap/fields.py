"""The closed set of store fields a prospect may have, and name suggestions for typos.

The store keeps exactly these nullable text columns per prospect and nothing else about a
person; a field map can only fill them. Keeping the list here, as data, lets the model, the
JSON schema and the error messages agree on it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Literal, get_args

StoreField = Literal[
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "mobile_phone",
    "title",
    "company",
    "department",
    "city",
    "region",
    "country",
    "time_zone",
    "lead_source",
    "status",
    "owner",
]

STORE_FIELDS: tuple[str, ...] = get_args(StoreField)


def suggest(name: str, known: Iterable[str]) -> str:
    """Return "; did you mean 'x'?" for the closest known name, or "" when none is close."""
    candidates = list(known)
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if not matches:
        folded = {candidate.casefold(): candidate for candidate in candidates}
        if name.casefold() in folded:
            matches = [folded[name.casefold()]]
    return f"; did you mean {matches[0]!r}?" if matches else ""


def unknown_name(kind: str, name: str, known: Iterable[str]) -> str:
    """The message for an unknown name: the name, the closest known one and all known ones."""
    candidates = list(known)
    return f"unknown {kind} {name!r}{suggest(name, candidates)} (known: {', '.join(candidates)})"
