"""Console roles and who gets them: pure rules, no I/O.

| may                                   | read-only | operator | admin |
| ------------------------------------- | --------- | -------- | ----- |
| see the fleet, customers, runs        | yes       | yes      | yes   |
| pause/resume, sync now, resync, retry |           | yes      | yes   |
| what a page reserves for admins       |           |          | yes   |

A person's role comes from the settings' allowlists (by verified email address) and from the
configured claim; when both grant one, the higher counts. Nobody has a role by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from connector.console.settings import ConsoleSettings

Role = Literal["read-only", "operator", "admin"]

#: Lowest first: a role may do everything the roles before it may.
RANKS: tuple[Role, ...] = ("read-only", "operator", "admin")


def allows(role: str | None, needed: Role) -> bool:
    """True when `role` is `needed` or above it."""
    if role not in RANKS:
        return False
    return RANKS.index(role) >= RANKS.index(needed)


def highest(roles: list[Role]) -> Role | None:
    """The highest of `roles` (None for none)."""
    return max(roles, key=RANKS.index) if roles else None


def _claimed(value: Any) -> list[Role]:
    values = value if isinstance(value, list) else str(value or "").replace(",", " ").split()
    return [v for v in (str(item).strip().lower() for item in values) if v in RANKS]


def role_of(claims: Mapping[str, Any], settings: ConsoleSettings) -> Role | None:
    """The console role `claims` (the id_token's and userinfo's) earn, or None."""
    granted: list[Role] = []
    email = str(claims.get("email") or "").strip().lower()
    if email and claims.get("email_verified") is True:
        for role, allowlist in (
            ("admin", settings.admins),
            ("operator", settings.operators),
            ("read-only", settings.readers),
        ):
            if email in allowlist:
                granted.append(role)  # type: ignore[arg-type]
    if settings.role_claim:
        granted.extend(_claimed(claims.get(settings.role_claim)))
    return highest(granted)
