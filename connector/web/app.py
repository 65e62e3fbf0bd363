"""The FastAPI app: resync hooks, operator status, metrics, connect links.

`create_app()` builds it from the settings (the store's engine, the webhook secret);
tests pass their own engine. Run it with `connector serve`. Every route sits behind the
guards of `guard` (refusal log, rate limits, body limit). `/docs` and `/openapi.json` are
off unless `CONNECTOR_DOCS=true`; `/docs` then serves Swagger UI from the package's own files
(`docs`), never from a CDN. The web console (`connector.console`) is mounted at `/console`
when its `CONNECTOR_CONSOLE_*` settings are all set.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from sqlalchemy.engine import Engine

from connector.config import Settings, get_settings
from connector.ops.fleet import load_figures
from connector.ops.metrics import CustomerFigures, FleetCollector
from connector.privacy.settings import load_privacy_settings
from connector.store.engine import open_engine
from connector.web import activities, connect, docs, fleet, hooks, problems, read_api, status
from connector.web.access_log import AccessLog
from connector.web.guard import BodyLimit, RateLimit, RefusalLog, open_rate_limit_storage
from connector.web.metrics import Metrics
from connector.web.settings import WebSettings, load_web_settings

if TYPE_CHECKING:
    from connector.console.settings import ConsoleSettings


def create_app(
    engine: Engine | None = None,
    settings: Settings | None = None,
    web_settings: WebSettings | None = None,
    console_settings: ConsoleSettings | None = None,
) -> FastAPI:
    """The web app over `engine` (default: the configured store, its schema checked).

    The console's settings come from the environment unless `console_settings` is given.
    """
    if engine is None:
        settings = settings or get_settings()
        engine = open_engine(settings.resolved_database_url(), tenant_key=settings.tenant_key)
    web_settings = web_settings or load_web_settings()
    app = FastAPI(
        title="connector",
        summary="Resync hooks for the CRM, and operator status.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if web_settings.docs else None,
    )
    app.state.engine = engine
    app.state.settings = settings or get_settings()
    app.state.web_settings = web_settings
    # how far back the read API's change feed reaches (ConfigError at start-up when invalid)
    app.state.change_log = load_privacy_settings().change_log
    app.state.metrics = Metrics(fleet_collector(engine, app.state.settings))
    problems.install(app)
    if web_settings.docs:
        docs.install(app, "/openapi.json")
    app.include_router(hooks.router)
    app.include_router(status.router)
    app.include_router(fleet.router)
    app.include_router(activities.router)
    app.include_router(read_api.router)
    app.include_router(connect.router)
    _mount_console(app, engine, web_settings, console_settings)
    # innermost: the body limit must see `receive` unwrapped by the counting middleware
    app.add_middleware(BodyLimit, limit=web_settings.max_body_bytes)
    app.middleware("http")(_count_responses)
    app.add_middleware(
        RateLimit,
        per_client=web_settings.client_limits(),
        per_customer=web_settings.customer_limits(),
        storage=open_rate_limit_storage(web_settings.rate_limit_storage),
    )
    app.add_middleware(RefusalLog)
    app.add_middleware(AccessLog)  # outermost: times and logs every request
    return app


def _mount_console(
    app: FastAPI,
    engine: Engine,
    web_settings: WebSettings,
    console_settings: ConsoleSettings | None,
) -> None:
    """Mount the console at /console when it is configured (ConfigError when half of it is)."""
    from connector.console.settings import load_console_settings

    console_settings = console_settings or load_console_settings()
    if console_settings is None or not console_settings.configured:
        return
    from connector.console.app import MOUNT, create_console

    app.mount(MOUNT, create_console(engine, console_settings, web_settings))


def fleet_collector(engine: Engine, settings: Settings) -> FleetCollector:
    """The per-customer figures of `/metrics`, read from the store at every scrape."""

    def read() -> list[CustomerFigures]:
        return load_figures(engine, settings.field_maps_dir, budget_share=settings.api_budget_share)

    return FleetCollector(read, clock=lambda: datetime.now(UTC))


async def _count_responses(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    metrics = request.app.state.metrics  # read first: a mounted app (the console) rebinds it
    response = await call_next(request)
    metrics.inc("connector_http_responses_total", status=f"{response.status_code // 100}xx")
    return response
