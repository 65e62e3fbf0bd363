"""The request pipeline in front of every route: faults, the REST gate, and the request log.

For each request (``/__sandbox/*`` admin calls excepted):

1. matching `FaultRule`s may delay it (their latencies add up) and/or answer with an error;
2. REST calls (``/services/data/vXX.X/...``) need a valid bearer token (401
   INVALID_SESSION_ID) and spend one call of the daily allocation (403 REQUEST_LIMIT_EXCEEDED
   when spent); their responses carry ``Sforce-Limit-Info: api-usage=<used>/<max>``;
3. the request is logged: method, path, query, JSON body, form *keys*, status; the entry is
   written before the response's last byte is sent, so a client never sees a response whose
   request is not yet in the log.

Paths are routed without a trailing slash, so ``query/`` and ``query`` both work, as on the
platform; the log keeps the path exactly as sent.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse, Response

from connector.sandbox.errors import ApiError, OAuthError, invalid_session
from connector.sandbox.faults import FaultRule
from connector.sandbox.org import SandboxOrg
from connector.sandbox.request_log import RequestLogEntry

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REST_PATH = re.compile(r"^/services/data/v\d+\.\d+(/|$)")
ADMIN_PREFIX = "/__sandbox"
SECRET_PARAMS = frozenset(
    {"token", "oauth_token", "access_token", "refresh_token", "code", "code_verifier",
     "client_secret", "assertion", "password"}
)  # fmt: skip


class SandboxMiddleware:
    """Pure ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, org: SandboxOrg) -> None:
        self.app = app
        self.org = org

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        original_path: str = scope["path"]
        routed = dict(scope)
        if len(original_path) > 1 and original_path.endswith("/"):
            routed["path"] = original_path.rstrip("/") or "/"
        if original_path.startswith(ADMIN_PREFIX):
            await self.app(routed, receive, send)
            return
        body = await _read_body(receive)
        logged = False
        started = 500

        async def send_logged(message: Message) -> None:
            # log before the last body chunk leaves, so a client that has its answer
            # always finds the request in the log (and a later clear removes it)
            nonlocal logged, started
            if message["type"] == "http.response.start":
                started = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                logged = logged or self._log(scope, original_path, body, started)
            await send(message)

        status = await self._handle(routed, body, send_logged)
        if not logged:
            self._log(scope, original_path, body, status)

    def _log(self, scope: Scope, path: str, body: bytes, status: int) -> bool:
        self.org.log_request(_entry(scope, path, body, status))
        return True

    async def _handle(self, scope: Scope, body: bytes, send: Send) -> int:
        method, path = scope["method"], scope["path"]
        is_rest = REST_PATH.match(path) is not None
        fault = self.org.fault_injector.request_fault(method, path)
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.error is not None:
            return await self._respond(scope, send, _fault_response(fault.error, path), is_rest)
        if is_rest:
            refusal = self._gate(scope)
            if refusal is not None:
                return await self._respond(scope, send, refusal, is_rest)
        return await self._forward(scope, body, send, is_rest)

    def _gate(self, scope: Scope) -> Response | None:
        token = _bearer(scope)
        session = self.org.tokens.session(token)
        if session is None:
            return _api_error_response(invalid_session())
        if not self.org.consume_api_call():
            error = ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            return _api_error_response(error)
        scope.setdefault("state", {})["session"] = session
        return None

    async def _respond(self, scope: Scope, send: Send, response: Response, is_rest: bool) -> int:
        if is_rest:
            response.headers["Sforce-Limit-Info"] = self.org.limit_info
        await response(scope, _empty_receive, send)
        return response.status_code

    async def _forward(self, scope: Scope, body: bytes, send: Send, is_rest: bool) -> int:
        status = 500
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if is_rest:
                    headers = list(message.get("headers", []))
                    headers.append((b"sforce-limit-info", self.org.limit_info.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, replay, capture)
        return status


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1")
            if text.lower().startswith(("bearer ", "oauth ")):
                return text.split(" ", 1)[1].strip()
    return None


def _api_error_response(error: ApiError) -> Response:
    return JSONResponse(error.body(), status_code=error.status)


def _fault_response(rule: FaultRule, path: str) -> Response:
    if path.startswith("/services/oauth2/"):
        error: OAuthError | ApiError = OAuthError(
            rule.error_code.lower(), rule.message, status=rule.status
        )
        response: Response = JSONResponse(error.body(), status_code=rule.status)
    else:
        response = _api_error_response(ApiError(rule.status, rule.error_code, rule.message))
    if rule.retry_after is not None:
        response.headers["Retry-After"] = str(rule.retry_after)
    return response


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return str(value.decode("latin-1").lower())
    return ""


def _entry(scope: Scope, path: str, body: bytes, status: int) -> RequestLogEntry:
    method = scope["method"]
    query = {
        key: "[redacted]" if key in SECRET_PARAMS else value
        for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
    }
    content_type = _content_type(scope)
    json_body: Any = None
    form_keys: list[str] = []
    if body and "application/x-www-form-urlencoded" in content_type:
        form_keys = [key for key, _ in parse_qsl(body.decode("utf-8", "replace"))]
    elif body and method in ("POST", "PATCH", "PUT"):
        try:
            json_body = json.loads(body)
        except ValueError:
            json_body = None
    return RequestLogEntry(method, path, query, json_body, form_keys, status)
