"""The access log of `connector serve`: one line per request.

Each line names the method, the route template (`/api/customers/{customer}`: never the
concrete path, whose ids may be personal, nor the query string, which may carry secrets), the
status, the duration in milliseconds and the actor (`operator:…`, `token:…` by the token's
name, never the token; `-` when no principal was established). With `CONNECTOR_LOG_FORMAT=json`
these are the keys `method`, `route`, `status`, `duration_ms` and `actor` of the JSON line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("connector.access")


def access_fields(scope: Scope, status: int, seconds: float) -> dict[str, Any]:
    """The logged fields of one request (pure)."""
    route = getattr(scope.get("route"), "path", None) or "(no route)"
    actor = scope.get("state", {}).get("actor") or "-"
    return {
        "method": str(scope.get("method", "?")),
        "route": str(route),
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "actor": str(actor),
    }


def access_line(fields: dict[str, Any]) -> str:
    """The text form: `GET /api/customers 200 3.1ms actor=operator:token-…`."""
    return (
        f"{fields['method']} {fields['route']} {fields['status']} "
        f"{fields['duration_ms']}ms actor={fields['actor']}"
    )


class AccessLog:
    """ASGI middleware logging every HTTP request at INFO on `connector.access`."""

    def __init__(self, app: ASGIApp, clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self.clock()
        status = 500  # an exception before the response started

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            fields = access_fields(scope, status, self.clock() - started)
            log.info(access_line(fields), extra={"access": fields})
