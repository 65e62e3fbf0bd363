"""Rate limits counted in Redis (CONNECTOR_RATE_LIMIT_STORAGE): one budget for every process."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from limits.errors import StorageError
from limits.storage import MemoryStorage
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connector.errors import ConfigError
from connector.web import app as app_module
from connector.web import create_app
from connector.web.guard import RATE_LIMIT_KEY_PREFIX
from connector.web.settings import WebSettings, load_web_settings
from connector.web.startup import startup_line
from tests.conftest import REDIS_URL, service_missing
from tests.web.conftest import LOOPBACK


@pytest.fixture
def client_address() -> Iterator[tuple[str, int]]:
    """A client address of this test's own, so its counters in Redis are its own too."""
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    try:
        server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        server.ping()
    except redis.RedisError as exc:  # not answering; an import or a bug fails instead
        service_missing(f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}")
    yield address, 50000
    stale = list(server.scan_iter(match=f"{RATE_LIMIT_KEY_PREFIX}*{address}*"))
    if stale:
        server.delete(*stale)


def two_servers(engine: Engine, address: tuple[str, int], storage: str) -> list[TestClient]:
    web = WebSettings(rate_limit_client="3/minute", rate_limit_storage=storage)
    return [TestClient(create_app(engine, web_settings=web), client=address) for _ in range(2)]


def test_given_redis_storage_then_two_app_instances_share_one_client_budget(
    sqlite_engine: Engine, client_address: tuple[str, int]
) -> None:
    first, second = two_servers(sqlite_engine, client_address, REDIS_URL)

    answers = [first.get("/healthz").status_code for _ in range(2)]
    answers.append(second.get("/healthz").status_code)
    refused = second.get("/healthz")

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert first.get("/healthz").status_code == 429


def test_given_memory_storage_then_each_app_instance_counts_alone(
    sqlite_engine: Engine, client_address: tuple[str, int]
) -> None:
    first, second = two_servers(sqlite_engine, client_address, "memory://")
    assert [first.get("/healthz").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert second.get("/healthz").status_code == 200


def test_given_a_redis_that_does_not_answer_then_the_app_refuses_to_start_naming_the_setting(
    sqlite_engine: Engine,
) -> None:
    web = WebSettings(rate_limit_storage="redis://:not-for-logs@127.0.0.1:1/0")
    with pytest.raises(ConfigError) as refused:
        create_app(sqlite_engine, web_settings=web)
    message = str(refused.value)
    assert "CONNECTOR_RATE_LIMIT_STORAGE" in message and "127.0.0.1:1" in message
    assert "not-for-logs" not in message


@pytest.mark.parametrize("value", ["memcached://127.0.0.1:11211", "127.0.0.1:6379", ""])
def test_given_a_storage_that_is_neither_memory_nor_redis_then_a_config_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CONNECTOR_RATE_LIMIT_STORAGE", value)
    with pytest.raises(ConfigError, match=r"CONNECTOR_RATE_LIMIT_STORAGE .*memory://"):
        load_web_settings()


def test_the_startup_line_says_where_limits_are_counted_without_a_password() -> None:
    token = SecretStr("t" * 32)
    shared = WebSettings(operator_token=token, rate_limit_storage="redis://:pw-xyz@cache:6380/2")
    assert "counted in Redis at cache:6380 (shared)" in startup_line("127.0.0.1", 8000, shared)
    assert "pw-xyz" not in startup_line("127.0.0.1", 8000, shared)
    alone = WebSettings(operator_token=token)
    assert "counted per process" in startup_line("127.0.0.1", 8000, alone)


class StoreGone(MemoryStorage):
    """Counters whose server stopped answering (as a Redis connection error surfaces)."""

    def acquire_entry(self, *args: Any, **kwargs: Any) -> bool:
        raise StorageError(ConnectionError("connection refused"))


def test_given_the_counters_store_stops_answering_then_requests_get_503_not_a_free_pass(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "open_rate_limit_storage", lambda _uri: StoreGone())
    client = TestClient(create_app(sqlite_engine, web_settings=WebSettings()), client=LOOPBACK)
    refused = client.get("/healthz")
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
