"""Which mapped rows of a pull belong to forgotten people, kept current while the pull runs.

A pull loads the suppression list when it starts, but a person may be forgotten while it
runs. Each page is therefore screened twice: with the check as it stands (cheap, before the
page's transaction), and again inside that transaction with the hashes stored at that moment
(`recheck`), so a forget committed before the page's commit always wins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

#: Decides whether a mapped row belongs to a forgotten person: (crm id, fields) -> skip?
SuppressionCheck = Callable[[str, Mapping[str, Any]], bool]


class Suppressions(Protocol):
    """A suppression check that can be brought up to date with the stored hashes."""

    def __call__(self, crm_id: str, fields: Mapping[str, Any]) -> bool: ...

    def as_of(self, hashes: frozenset[str]) -> Suppressions:
        """The check for the list `hashes`; `self` when that is the list it already holds."""
        ...


@dataclass
class Screen:
    """A pull's suppression check, replaced by a newer one whenever the list grows."""

    check: Suppressions

    def skips(self, crm_id: str, fields: Mapping[str, Any]) -> bool:
        return self.check(crm_id, fields)

    def recheck(
        self, rows: Sequence[tuple[str, Mapping[str, Any]]], hashes: frozenset[str]
    ) -> set[str]:
        """The crm ids among `rows` that the list `hashes` suppresses but the old check kept."""
        fresh = self.check.as_of(hashes)
        if fresh is self.check:
            return set()
        self.check = fresh
        return {crm_id for crm_id, fields in rows if fresh(crm_id, fields)}
