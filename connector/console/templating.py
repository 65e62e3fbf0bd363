"""The console's Jinja2 templates and the context every page gets.

`render(request, "page.html", {...})` adds the signed-in person, the CSRF token and the flash
message; templates autoescape, so nothing a CRM or a person typed can turn into markup. In a
template, `path("route_name", **params)` is a route's path (links and form actions), and
`csrf_field`/`csrf_token` make the hidden field every POST form carries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.requests import Request
from starlette.responses import Response

from connector.console.session import CSRF_FIELD, csrf_token, person_of

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")
FLASH_KEY = "flash"

#: The vendored htmx release (static/htmx-<version>.min.js; see scripts/vendor-htmx).
HTMX_VERSION = "2.0.11"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@pass_context
def path(context: dict[str, Any], name: str, /, **params: Any) -> str:
    """The path of route `name` (with the mount's prefix), for links and form actions."""
    request: Request = context["request"]
    return str(request.url_for(name, **params).path)


templates.env.globals["path"] = path
templates.env.globals["htmx_file"] = f"htmx-{HTMX_VERSION}.min.js"


def when(value: datetime | None) -> str:
    """A time as `2026-12-03 17:20 UTC` (a dash for none)."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def seconds(value: float | None) -> str:
    """A duration as `42 s`, `3 min 5 s` or `2 h 1 min` (a dash for none)."""
    if value is None:
        return "—"
    total = round(value)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


templates.env.filters["when"] = when
templates.env.filters["seconds"] = seconds


def flash(request: Request, message: str) -> None:
    """Keep `message` for the next page this session renders."""
    request.session[FLASH_KEY] = message


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """Render template `name` with the console's common context."""
    common: dict[str, Any] = {
        "person": person_of(request),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "flash": request.session.pop(FLASH_KEY, None),
    }
    return templates.TemplateResponse(
        request, name, {**common, **(context or {})}, status_code=status_code
    )
