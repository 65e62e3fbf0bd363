"""A one-shot HTTP listener on 127.0.0.1 that receives the OAuth redirect.

It answers the first request to its callback path (with `code` and `state`, or `error`), tells
the browser it may close the tab, and stops. It never logs the query string: it holds the
authorization code.

Errors: `ConfigError` when the port is busy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from connector.errors import ConfigError, register_secret

_PAGE = (
    b"<!doctype html><title>connector</title><p>The connector received Salesforce's answer. "
    b"You can close this window and return to the terminal.</p>"
)


@dataclass(frozen=True)
class CallbackResult:
    """What the redirect carried."""

    code: str | None = field(default=None, repr=False)
    state: str | None = field(default=None, repr=False)
    error: str | None = None
    error_description: str | None = None


def parse_callback(query: str) -> CallbackResult:
    """The `code`/`state`/`error` parameters of a callback query string."""
    values = {key: items[0] for key, items in parse_qs(query).items() if items}
    register_secret(values.get("code"))
    return CallbackResult(
        code=values.get("code"),
        state=values.get("state"),
        error=values.get("error"),
        error_description=values.get("error_description"),
    )


class _Server(HTTPServer):
    expected_path: str
    result: CallbackResult | None
    received: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != self.server.expected_path or self.server.received.is_set():
            self.send_error(404)
            return
        self.server.result = parse_callback(parts.query)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(_PAGE)))
        self.end_headers()
        self.wfile.write(_PAGE)
        self.server.received.set()

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default access log: the query string holds the code."""


class CallbackListener:
    """Listens on 127.0.0.1:`port` in a background thread until one callback arrives."""

    def __init__(self, *, port: int, path: str = "/callback") -> None:
        try:
            server = _Server(("127.0.0.1", port), _Handler)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on 127.0.0.1:{port} for the OAuth callback ({exc.strerror}); "
                "pass another --port and register its callback URL on the connected app"
            ) from None
        server.expected_path = path
        server.result = None
        server.received = threading.Event()
        server.timeout = 0.2
        self._server = server
        self._thread = threading.Thread(target=self._serve, name="oauth-callback", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self._server.server_address[1])

    def _serve(self) -> None:
        while not self._server.received.is_set():
            self._server.handle_request()

    def wait(self, timeout: float) -> CallbackResult | None:
        """The callback's parameters, or None if none arrived within `timeout` seconds."""
        if not self._server.received.wait(timeout):
            return None
        return self._server.result

    def close(self) -> None:
        """Stop listening and free the port."""
        self._server.received.set()
        self._thread.join(timeout=2)
        self._server.server_close()

    def __enter__(self) -> CallbackListener:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
