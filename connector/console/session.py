"""Console sessions: a signed cookie, and the CSRF token every form carries.

The session is a small JSON dict (who signed in, their role, the CSRF token, the sign-in
flow's state while it runs), signed with `CONNECTOR_CONSOLE_SESSION_SECRET` and timestamped:
a session older than the configured hours (counted from its start, which signing in resets),
or one whose signature fails, is an empty session.
It holds no provider token. The cookie is `HttpOnly` and `SameSite=Lax`, and `Secure` on every
response except a plain-http one to a loopback host (the local sandbox and tests), so it never
travels in clear text over a network.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

from itsdangerous import BadSignature, TimestampSigner
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector.loopback import is_loopback_host

COOKIE = "connector_console"
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PERSON_KEY = "person"
BORN_KEY = "born"


@dataclass(frozen=True)
class Person:
    """Who is signed in: their email (the audit actor), name and console role."""

    email: str
    name: str
    role: str

    @property
    def actor(self) -> str:
        """The audit actor of what this person does in the console."""
        return f"console:{self.email}"

    def to_session(self) -> dict[str, str]:
        return {"email": self.email, "name": self.name, "role": self.role}


def person_of(request: HTTPConnection) -> Person | None:
    """The signed-in person of `request`, or None."""
    data = request.session.get(PERSON_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return Person(email=str(data["email"]), name=str(data["name"]), role=str(data["role"]))
    except KeyError:
        return None


def csrf_token(request: HTTPConnection) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


async def csrf_ok(request: Request) -> bool:
    """True when the request carries the session's CSRF token (form field or header)."""
    expected = request.session.get(CSRF_KEY)
    if not isinstance(expected, str) or not expected:
        return False
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


def secure_cookie(scope: Scope) -> bool:
    """False only for plain http to a loopback host; every other response gets `Secure`."""
    if scope.get("scheme") == "https":
        return True
    server = scope.get("server") or ("", 0)
    host = next(
        (value.decode("latin-1") for key, value in scope.get("headers", []) if key == b"host"),
        str(server[0]),
    )
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return not is_loopback_host(hostname)


class SessionMiddleware:
    """Load the signed session cookie into `scope["session"]`; write it back when it changed."""

    def __init__(self, app: ASGIApp, *, secret: str, max_age: int, path: str = "/") -> None:
        self.app = app
        self.signer = TimestampSigner(secret, salt="connector.console.session")
        self.max_age = max_age
        self.path = path

    def load(self, scope: Scope) -> dict[str, Any]:
        cookies = SimpleCookie()
        for key, value in scope.get("headers", []):
            if key == b"cookie":
                try:
                    cookies.load(value.decode("latin-1"))
                except Exception:  # noqa: S112 - a malformed header is no session
                    continue
        morsel = cookies.get(COOKIE)
        if morsel is None:
            return {}
        try:
            raw = self.signer.unsign(morsel.value.encode(), max_age=self.max_age)
            data = json.loads(base64.urlsafe_b64decode(raw))
        except (BadSignature, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        born = data.get(BORN_KEY)
        if not isinstance(born, int | float) or time.time() - born > self.max_age:
            return {}  # a session lasts max_age from its start, however often it is re-signed
        return data

    def dump(self, data: dict[str, Any]) -> str:
        data.setdefault(BORN_KEY, int(time.time()))
        raw = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
        return self.signer.sign(raw).decode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        loaded = self.load(scope)
        scope["session"] = dict(loaded)
        secure = secure_cookie(scope)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                session: dict[str, Any] = scope["session"]
                if session != loaded:
                    headers = MutableHeaders(scope=message)
                    headers.append("Set-Cookie", self.cookie(session, secure))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def cookie(self, session: dict[str, Any], secure: bool) -> str:
        """The Set-Cookie value for `session` (an empty session clears the cookie)."""
        flags = f"Path={self.path}; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
        if not session:
            return f"{COOKIE}=; Max-Age=0; {flags}"
        return f"{COOKIE}={self.dump(session)}; Max-Age={self.max_age}; {flags}"
