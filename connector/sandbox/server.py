"""The sandbox HTTPS server: a FastAPI app served by uvicorn in a background thread.

``base_url`` is at once the login host (OAuth), the ``instance_url`` (REST) and the admin
API's host. TLS material lives in `state_dir`; clients trust ``ca_path``.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from connector.sandbox import admin, analytics, data_api, oauth, oidc, sobject_api
from connector.sandbox.errors import ApiError, SandboxHttpError
from connector.sandbox.middleware import SandboxMiddleware
from connector.sandbox.org import SandboxOrg
from connector.sandbox.tls import ensure_tls_material

STARTUP_TIMEOUT = 20.0


def create_app(org: SandboxOrg) -> FastAPI:
    """The ASGI app for `org`: routes, error shapes and the request pipeline."""
    app = FastAPI(
        title="connector Salesforce sandbox", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.org = org
    for module in (oauth, oidc, data_api, analytics, sobject_api, admin):
        app.include_router(module.router)
    app.add_exception_handler(SandboxHttpError, _sandbox_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(SandboxMiddleware, org=org)
    return app


async def _sandbox_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SandboxHttpError)
    return JSONResponse(exc.body(), status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        error = ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed")
    elif exc.status_code == 404:
        error = ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    else:
        error = ApiError(exc.status_code, "BAD_REQUEST", str(exc.detail))
    return JSONResponse(error.body(), status_code=error.status)


async def _validation_error(request: Request, exc: Exception) -> Response:
    error = ApiError(400, "JSON_PARSER_ERROR", "The request body could not be parsed.")
    return JSONResponse(error.body(), status_code=400)


class SandboxServer:
    """Serve `org` over HTTPS on `host`:`port` (0 = a free port) from a background thread."""

    def __init__(
        self,
        org: SandboxOrg,
        state_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.org = org
        self.state_dir = Path(state_dir)
        self.host = host
        self.port = port
        self.log_level = log_level
        self._tls = ensure_tls_material(self.state_dir)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def ca_path(self) -> Path:
        """The CA certificate clients must trust (``requests`` ``verify=``)."""
        return self._tls.ca_path

    @property
    def base_url(self) -> str:
        """``https://host:port``: login host, instance URL and admin host in one."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    def start(self) -> None:
        """Start serving; return once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the sandbox server is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted sockets inherit this; without it, Nagle + delayed ACK add ~40 ms per call
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self.org.base_url = self.base_url
        config = uvicorn.Config(
            create_app(self.org),
            ssl_certfile=str(self._tls.cert_path),
            ssl_keyfile=str(self._tls.key_path),
            log_level=self.log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving and wait for the thread to finish."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # do not wait for idle keep-alive connections
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
