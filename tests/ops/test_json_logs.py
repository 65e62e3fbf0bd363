"""`CONNECTOR_LOG_FORMAT=json`: one JSON object per line, with the customer and run bound."""

from __future__ import annotations

import io
import json
import logging

from connector.errors import register_secret
from connector.logs import bind, json_handler, log_context


def capture(logger: logging.Logger) -> tuple[io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = json_handler(stream)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return stream, handler


def test_every_line_is_one_json_object_with_the_bound_context() -> None:
    logger = logging.getLogger("tests.json_logs.context")
    stream, handler = capture(logger)
    try:
        with log_context(customer="acme", job="scheduled_sync"):
            bind(run_id="r123")
            logger.info("customer %s: %d activities to push", "acme", 3)
        logger.warning("outside any customer")
    finally:
        logger.removeHandler(handler)

    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["customer"] == "acme" and first["run_id"] == "r123"
    assert first["job"] == "scheduled_sync" and first["level"] == "info"
    assert first["message"] == "customer acme: 3 activities to push"
    assert (
        first["event"] == "test_json_logs.test_every_line_is_one_json_object_with_the_bound_context"
    )
    assert "customer" not in second and "run_id" not in second and second["level"] == "warning"


def test_a_registered_secret_never_reaches_a_json_line() -> None:
    logger = logging.getLogger("tests.json_logs.secret")
    stream, handler = capture(logger)
    secret = "00Dx0000000001!AQ4AQLongAccessTokenValue"
    register_secret(secret)
    try:
        logger.info("refreshed with %s", secret)
    finally:
        logger.removeHandler(handler)
    assert secret not in stream.getvalue() and "***" in stream.getvalue()


def test_the_scheduler_logs_each_pass_as_json_when_asked() -> None:
    import os
    import subprocess
    import sys

    from connector.config import get_settings
    from connector.store import make_engine, migrate

    migrate(make_engine(get_settings().resolved_database_url()))  # the store the CLI opens
    env = {**os.environ, "CONNECTOR_LOG_FORMAT": "json"}
    result = subprocess.run(
        [sys.executable, "-m", "connector", "--verbose", "scheduler", "run", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    passes = [line for line in lines if line["message"].startswith("scheduler pass:")]
    assert len(passes) == 1 and passes[0]["level"] == "info"
