"""Limits in front of every route: body size, rate limits, and a log line for each refusal.

Three ASGI middlewares, outermost first:

- `RefusalLog`: every answer of 4xx is logged at WARNING with the client address, the route
  *template* (never the raw path or query) and the reason (the problem's `detail`, which never
  carries secrets or personal data).
- `RateLimit`: per client address and per customer named in the path, with the `limits`
  library (moving windows); over the limit is a 429 with `Retry-After`. The counters live in
  memory, so each process counts alone, or in Redis (`CONNECTOR_RATE_LIMIT_STORAGE`), so all
  processes share one budget; when Redis stops answering, requests get a 503 (fail closed),
  not a free pass.
- `BodyLimit`: the body is counted while it is read, before anything parses it: a declared
  `Content-Length` over the limit is refused at once, a streamed body as soon as it passes.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, MutableMapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException
from limits import RateLimitItem
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector.errors import ConfigError
from connector.web.problems import problem, set_refusal

log = logging.getLogger(__name__)

_CUSTOMER_IN_PATH = re.compile(
    r"^/(?:api/customers/(?P<api>[^/]+)|hooks/salesforce/(?P<sf>[^/]+)|hooks/(?P<hook>[^/]+)/resync)"
)


class BodyTooLarge(HTTPException):
    """The request body passed the limit while it was being read (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit} bytes")


def customer_in_path(path: str) -> str | None:
    """The customer a request names in its path, if any."""
    match = _CUSTOMER_IN_PATH.match(path)
    if match is None:
        return None
    return match.group("api") or match.group("sf") or match.group("hook")


def client_address(scope: Scope) -> str:
    """The client's address as the server saw it (after a trusted proxy's headers)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _answer(scope: Scope, send: Send, status: int, detail: str, **headers: str) -> None:
    set_refusal(scope, detail)
    response = problem(status, detail, headers or None)

    async def _no_body() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    await response(scope, _no_body, send)


class BodyLimit:
    """Refuse (413) a body larger than `limit` bytes, counting while it is read."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > self.limit:
            await _answer(scope, send, 413, f"the body is larger than {self.limit} bytes")
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:
            if started:
                raise
            await _answer(scope, send, 413, str(exc.detail))


class RateLimit:
    """Answer 429 with `Retry-After` to a client or customer over its rate limits."""

    def __init__(
        self,
        app: ASGIApp,
        per_client: list[RateLimitItem],
        per_customer: list[RateLimitItem],
        clock: Callable[[], float] = time.time,
        storage: Storage | None = None,
    ) -> None:
        self.app = app
        self.per_client = per_client
        self.per_customer = per_customer
        self.shared = storage is not None and not isinstance(storage, MemoryStorage)
        self.limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        keys = [("client", client_address(scope), self.per_client)]
        customer = customer_in_path(scope.get("path", ""))
        if customer is not None:
            keys.append(("customer", customer, self.per_customer))
        try:
            # a Redis round trip must not block the event loop; memory is instant
            if self.shared:
                refusal = await run_in_threadpool(self._refusal, keys)
            else:
                refusal = self._refusal(keys)
        except StorageError:
            detail = "the rate-limit store does not answer; retry later"
            await _answer(scope, send, 503, detail, **{"Retry-After": "5"})
            return
        if refusal is not None:
            detail, wait = refusal
            await _answer(scope, send, 429, detail, **{"Retry-After": str(wait)})
            return
        await self.app(scope, receive, send)

    def _refusal(self, keys: list[tuple[str, str, list[RateLimitItem]]]) -> tuple[str, int] | None:
        """Count the request against each limit; (reason, seconds to wait) at the first one
        that is over."""
        for kind, key, items in keys:
            for item in items:
                if not self.limiter.hit(item, kind, key):
                    reset = self.limiter.get_window_stats(item, kind, key).reset_time
                    wait = max(1, math.ceil(reset - self.clock()))
                    return f"too many requests per {kind} ({item}); retry later", wait
        return None


#: Prefix of the rate-limit keys in a shared Redis.
RATE_LIMIT_KEY_PREFIX = "connector-rate-limits"


def open_rate_limit_storage(uri: str) -> Storage:
    """The counters' storage named by CONNECTOR_RATE_LIMIT_STORAGE (memory:// or Redis).

    A Redis storage is checked at once. Raises ConfigError when the Redis client library is
    missing or the server does not answer; the message names the host, never a password.
    """
    if uri.startswith("memory://"):
        return MemoryStorage()
    where = f"the Redis server at {urlsplit(uri).hostname}:{urlsplit(uri).port or 6379}"
    try:
        storage = storage_from_string(uri, key_prefix=RATE_LIMIT_KEY_PREFIX, wrap_exceptions=True)
    except ConfigurationError:
        raise ConfigError(
            "CONNECTOR_RATE_LIMIT_STORAGE names Redis but the redis package is not installed; "
            "install connector with the redis extra, or use memory://"
        ) from None
    if not isinstance(storage, Storage):  # an async+ scheme: not one the settings accept
        raise ConfigError("CONNECTOR_RATE_LIMIT_STORAGE: use memory:// or redis://host:6379/0")
    if not storage.check():
        raise ConfigError(
            f"CONNECTOR_RATE_LIMIT_STORAGE: {where} does not answer; start it or use memory://"
        )
    return storage


class RefusalLog:
    """Log every refused request (4xx): client address, route template, status, reason."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, watched)
        if 400 <= status < 500:
            log_refusal(scope, status)


def log_refusal(scope: MutableMapping[str, Any], status: int) -> None:
    """The WARNING line for one refused request."""
    route = getattr(scope.get("route"), "path", None) or "(no route)"
    reason = scope.get("state", {}).get("refusal") or HTTPStatus(status).phrase
    log.warning(
        "refused %s %s from %s: %d %s",
        scope.get("method", "?"),
        route,
        client_address(scope),
        status,
        reason,
    )


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return ""
