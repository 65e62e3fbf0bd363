"""`/docs` (when turned on) is Swagger UI from the package's own files: no URL off this server."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from connector.web import create_app
from connector.web.docs import ASSETS, SWAGGER_UI_VERSION
from connector.web.settings import WebSettings
from tests.web.conftest import LOOPBACK


class References(HTMLParser):
    """Every `src` and `href` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_the_docs_page_loads_every_asset_from_this_server_and_names_no_other_host(
    sqlite_engine: Engine,
) -> None:
    client = TestClient(
        create_app(sqlite_engine, web_settings=WebSettings(docs=True)), client=LOOPBACK
    )
    page = client.get("/docs")
    assert page.status_code == 200
    refs = References()
    refs.feed(page.text)

    assert len(refs.urls) == 3  # the script, the stylesheet and the icon
    assert all(url.startswith("/docs/assets/") for url in refs.urls), refs.urls
    assert re.findall(r"(?:https?:)?//[\w.-]+", page.text) == []
    assert "validatorUrl" in page.text and '"validatorUrl": null' in page.text
    for url in refs.urls:
        asset = client.get(url)
        assert asset.status_code == 200 and asset.content, url


def test_the_vendored_swagger_ui_is_the_named_release_with_its_licence() -> None:
    names = {path.name for path in ASSETS.iterdir()}
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"} <= names
    assert f"swagger-ui-dist {SWAGGER_UI_VERSION}" in (ASSETS / "VERSION").read_text()
    assert "Apache License" in (ASSETS / "LICENSE").read_text()


def test_without_docs_turned_on_the_assets_are_not_served(sqlite_engine: Engine) -> None:
    client = TestClient(create_app(sqlite_engine, web_settings=WebSettings()), client=LOOPBACK)
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 404
