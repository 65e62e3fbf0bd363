"""`/docs`: Swagger UI served from files shipped in the package, never from a CDN.

Only mounted when `CONNECTOR_DOCS=true`. The assets are swagger-ui-dist 5.35.0 (Apache-2.0),
unmodified, in `connector/web/static/swagger-ui/` with their licence and notice; the page
turns Swagger UI's online validator badge off, so a browser showing it fetches nothing from
anywhere but this server.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: The vendored Swagger UI release; its files live in ASSETS.
SWAGGER_UI_VERSION = "5.35.0"
ASSETS = Path(__file__).resolve().parent / "static" / "swagger-ui"
ASSETS_URL = "/docs/assets"


def install(app: FastAPI, openapi_url: str) -> None:
    """Serve the Swagger UI page at `/docs` for the document at `openapi_url`."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    async def docs_page() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.add_api_route("/docs", docs_page, include_in_schema=False)
