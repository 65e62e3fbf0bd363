"""`scheduler run` checks the retention settings before its first pass."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from tests.helpers.servers import run_connector


def test_the_scheduler_refuses_a_bad_change_log_setting_at_start_up(
    sqlite_engine: Engine, store_url: str
) -> None:
    result = run_connector("scheduler", "run", "--once", env={"CONNECTOR_CHANGE_LOG_DAYS": "0"})
    assert result.returncode == 2, result.stderr
    assert "CONNECTOR_CHANGE_LOG_DAYS" in result.stderr
    assert "Traceback" not in result.stderr
    assert "a pass every" not in result.stdout + result.stderr  # refused before it started
