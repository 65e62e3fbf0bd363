"""FastAPI dependencies of console routes: who is signed in, with which role, and CSRF.

- `Depends(require_role("read-only"))` on every page: a visitor who is not signed in is sent
  to sign in (and back afterwards); one whose role is too low gets a 403 page.
- `Depends(require_role("operator"))` plus `Depends(check_csrf)` on every POST that changes
  something: a request without the session's CSRF token is refused (403) before it acts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import Request

from connector.console.roles import Role, allows
from connector.console.session import Person, csrf_ok, person_of


class SignInRequired(Exception):
    """Nobody is signed in; the handler redirects to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__("sign-in required")
        self.next_path = next_path


class Refused(Exception):
    """The request is refused; the handler renders the error page with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def require_role(needed: Role) -> Callable[[Request], Awaitable[Person]]:
    """A dependency: the signed-in person, if their role is `needed` or above."""

    async def dependency(request: Request) -> Person:
        person = person_of(request)
        if person is None:
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            raise SignInRequired(target if request.method == "GET" else "")
        if not allows(person.role, needed):
            raise Refused(403, f"This needs the {needed} role; you are signed in as {person.role}.")
        return person

    dependency.__name__ = f"require_{needed.replace('-', '_')}"
    return dependency


async def check_csrf(request: Request) -> None:
    """Refuse (403) a request without the session's CSRF token."""
    if not await csrf_ok(request):
        raise Refused(403, "The form had expired or did not come from this console; try again.")


def login_url(request: Request, next_path: str) -> str:
    """The sign-in URL that comes back to `next_path` (a console path) afterwards."""
    url = str(request.url_for("login").path)
    return f"{url}?next={quote(next_path, safe='')}" if next_path else url
