"""Fixtures of the web tests: the app over a SQLite store with one connected customer."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connector.store import TenantStore
from connector.store.models import Connection
from connector.web import create_app
from connector.web.settings import WebSettings

ORG_ID = "00D5g000004XXXXEA4"
MASTER_SECRET = "test-master-secret-0123456789abcdef"
LOOPBACK = ("127.0.0.1", 50000)


def connect_customer(engine: Engine, customer: str = "acme", org: str | None = ORG_ID) -> None:
    """Give `customer` a connection row to the org `org` (no CRM needed for hook tests)."""
    TenantStore(engine, customer).save_connection(
        Connection(
            customer_id=customer,
            auth="jwt",
            login_url="https://login.salesforce.com",
            organization_id=org,
        )
    )


@pytest.fixture
def web_settings() -> WebSettings:
    return WebSettings(webhook_secret=SecretStr(MASTER_SECRET))


@pytest.fixture
def app(sqlite_engine: Engine, web_settings: WebSettings) -> FastAPI:
    connect_customer(sqlite_engine)
    return create_app(sqlite_engine, web_settings=web_settings)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=LOOPBACK)
