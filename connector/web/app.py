"""The FastAPI app: resync hooks, operator status, metrics.

`create_app()` builds it from the settings (the store's engine, the webhook secret);
tests pass their own engine. Run it with `connector serve`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from sqlalchemy.engine import Engine

from connector.config import Settings, get_settings
from connector.store import create_schema, make_engine
from connector.web import activities, hooks, problems, read_api, status
from connector.web.metrics import Metrics
from connector.web.settings import WebSettings


def create_app(
    engine: Engine | None = None,
    settings: Settings | None = None,
    web_settings: WebSettings | None = None,
) -> FastAPI:
    """The web app over `engine` (default: the configured store, schema created)."""
    if engine is None:
        engine = make_engine((settings or get_settings()).resolved_database_url())
        create_schema(engine)
    app = FastAPI(
        title="connector",
        summary="Resync hooks for the CRM, and operator status.",
        version="0.1.0",
    )
    app.state.engine = engine
    app.state.web_settings = web_settings or WebSettings()
    app.state.metrics = Metrics()
    problems.install(app)
    app.include_router(hooks.router)
    app.include_router(status.router)
    app.include_router(activities.router)
    app.include_router(read_api.router)
    app.middleware("http")(_count_responses)
    return app


async def _count_responses(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    request.app.state.metrics.inc(
        "connector_http_responses_total", status=f"{response.status_code // 100}xx"
    )
    return response
