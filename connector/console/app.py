"""The console as an ASGI app of its own, mounted by `connector.web.app.create_app` at /console.

Its own middleware (the signed session, security headers) applies to the console only; the
outer app's guards (rate limits, body limit, refusal log) apply as to every route.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.responses import Response

from connector.console import connect_page, customer_page, fieldmap_page, fleet_page, sso
from connector.console.deps import Refused, SignInRequired, login_url
from connector.console.session import SessionMiddleware
from connector.console.settings import ConsoleSettings
from connector.console.templating import STATIC_DIR, render
from connector.errors import StoreError
from connector.web.settings import WebSettings

log = logging.getLogger(__name__)

#: Where the console is mounted in the web app.
MOUNT = "/console"

#: The console's pages, in the order their routes are matched.
ROUTERS = [
    sso.router,
    fleet_page.router,
    customer_page.router,
    fieldmap_page.router,
    connect_page.router,
]

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def create_console(engine: Engine, settings: ConsoleSettings, web_settings: WebSettings) -> FastAPI:
    """The console app over `engine` (fully configured `settings`)."""
    assert settings.session_secret is not None
    app = FastAPI(title="connector console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine = engine
    app.state.console_settings = settings
    app.state.web_settings = web_settings
    app.state.oauth = sso.make_oauth(settings)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(404, _not_found)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.add_exception_handler(StoreError, _store_failed)
    app.middleware("http")(_security_headers)
    app.add_middleware(
        SessionMiddleware,
        secret=settings.session_secret.get_secret_value(),
        max_age=int(settings.session_hours * 3600),
        path=MOUNT,
    )
    return app


async def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    if request.headers.get("hx-request"):  # a fragment poll: make the whole page go there
        return Response(status_code=401, headers={"HX-Redirect": login_url(request, "")})
    return RedirectResponse(login_url(request, exc.next_path), status_code=303)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return render(request, "error.html", {"message": exc.message}, status_code=exc.status)


async def _not_found(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"message": "There is no such page."}, status_code=404)


async def _bad_request(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"message": "That request was malformed."}, 400)


async def _store_failed(request: Request, exc: Exception) -> Response:
    log.error("console: the store failed: %s", type(exc).__name__)
    message = "The store could not be read just now; try again shortly."
    return render(request, "error.html", {"message": message}, status_code=503)


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
