"""Console settings (fail closed), roles and the pages' pure rules."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connector.console.roles import allows, role_of
from connector.console.settings import load_console_settings
from connector.console.views import filter_fleet, run_chart, usage_bar
from connector.errors import ConfigError
from connector.ops.status import ApiUsage, CustomerStatus, RunSummary
from tests.console.conftest import console_settings
from tests.helpers.servers import run_connector

ISSUER = "https://login.salesforce.com"


def configure(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"CONNECTOR_CONSOLE_{name.upper()}", value)


def full(**overrides: str) -> dict[str, str]:
    values = {
        "issuer": ISSUER,
        "client_id": "3MVG9console",
        "client_secret": secrets.token_urlsafe(32),
        "session_secret": secrets.token_urlsafe(32),
    }
    values.update(overrides)
    return values


def test_unset_means_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_console_settings() is None


def test_fully_configured_means_on(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, **full(admins="A@Example.com, b@example.com", issuer=ISSUER + "/"))

    settings = load_console_settings()

    assert settings is not None and settings.configured
    assert settings.issuer == ISSUER
    assert settings.admins == ["a@example.com", "b@example.com"]


@pytest.mark.parametrize("left_out", ["issuer", "client_id", "client_secret", "session_secret"])
def test_a_partial_configuration_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, left_out: str
) -> None:
    values = full()
    del values[left_out]
    configure(monkeypatch, **values)

    with pytest.raises(ConfigError, match=f"set CONNECTOR_CONSOLE_{left_out.upper()}"):
        load_console_settings()


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("session_secret", "", "at least 32 characters"),
        ("session_secret", "short-but-set", "at least 32 characters"),
        ("client_secret", " " * 40, "at least 32 characters"),
        ("issuer", "http://idp.example.com", "https://"),
        ("issuer", "https://user:pw@idp.example.com", "without credentials"),
        ("issuer", "idp.example.com", "absolute https:// URL"),
        ("client_id", "  ", "must not be empty"),
        ("scopes", "email profile", "must include openid"),
        ("poll_seconds", "0", "CONNECTOR_CONSOLE_POLL_SECONDS"),
    ],
)
def test_a_weak_or_wrong_value_refuses_to_start_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, problem: str
) -> None:
    configure(monkeypatch, **full(**{name: value}))

    with pytest.raises(ConfigError) as caught:
        load_console_settings()

    assert f"CONNECTOR_CONSOLE_{name.upper()}" in str(caught.value)
    assert problem in str(caught.value)
    if name.endswith("secret") and value.strip():
        assert value not in str(caught.value)


def test_plain_http_is_allowed_for_a_loopback_issuer(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, **full(issuer="http://127.0.0.1:8443"))

    settings = load_console_settings()

    assert settings is not None and settings.issuer == "http://127.0.0.1:8443"


def test_serve_refuses_to_start_with_a_short_session_secret() -> None:
    env = {f"CONNECTOR_CONSOLE_{k.upper()}": v for k, v in full(session_secret="tooshort").items()}

    result = run_connector("serve", "--port", "0", env=env, timeout=120)

    assert result.returncode == 2, result.stderr
    assert "CONNECTOR_CONSOLE_SESSION_SECRET must be at least 32 characters" in result.stderr
    assert "Traceback" not in result.stderr
    assert env["CONNECTOR_CONSOLE_CLIENT_SECRET"] not in result.stderr


# -- roles ---------------------------------------------------------------------------------------
def claims(email: str = "ops@example.com", verified: bool = True, **more: Any) -> dict[str, Any]:
    return {"email": email, "email_verified": verified, **more}


def test_roles_come_from_the_allowlists_by_verified_email() -> None:
    settings = console_settings().model_copy(
        update={"admins": ["boss@example.com"], "operators": ["ops@example.com"], "readers": []}
    )

    assert role_of(claims("OPS@example.com"), settings) == "operator"
    assert role_of(claims("boss@example.com"), settings) == "admin"
    assert role_of(claims("ops@example.com", verified=False), settings) is None
    assert role_of(claims("someone@example.com"), settings) is None
    assert role_of({}, settings) is None


def test_a_role_claim_grants_a_role_and_the_higher_one_counts() -> None:
    settings = console_settings().model_copy(
        update={"operators": ["ops@example.com"], "role_claim": "console_role"}
    )

    assert role_of(claims("x@example.com", console_role="read-only"), settings) == "read-only"
    assert role_of(claims("ops@example.com", console_role="read-only"), settings) == "operator"
    assert role_of(claims("x@example.com", console_role=["admin", "x"]), settings) == "admin"
    assert role_of(claims("x@example.com", console_role="root"), settings) is None


def test_role_ranks() -> None:
    assert allows("admin", "operator") and allows("operator", "operator")
    assert not allows("read-only", "operator") and not allows(None, "read-only")
    assert not allows("superuser", "read-only")


# -- views ---------------------------------------------------------------------------------------
START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def run(n: int, rows: int, calls: int) -> RunSummary:
    started = START + timedelta(hours=n)
    return RunSummary(
        run_id=f"r{n}", kind="pull", trigger="schedule", status="succeeded",
        started_at=started, finished_at=started + timedelta(seconds=30), rows_read=rows,
        prospects_written=0, rejected=0, activities_pushed=0, activities_failed=0,
        api_calls=calls, error_code=None,
    )  # fmt: skip


def status(name: str, state: str = "active", used: int | None = None, parked: int = 0) -> Any:
    return CustomerStatus(
        customer_id=name, state=state, reason=None, paused_by=None, paused_at=None,  # type: ignore[arg-type]
        connected=True, next_due_at=None, consecutive_failures=0, last_run=None, last_pull=None,
        api=ApiUsage(used=used, limit=10_000 if used is not None else None, budget_share=0.5),
        pending_activities=0, parked_activities=parked, pending_resyncs=0,
    )  # fmt: skip


def test_the_fleet_filter() -> None:
    fleet = [status("acme", "failing"), status("globex"), status("initech", parked=2)]

    assert [s.customer_id for s in filter_fleet(fleet, "", "trouble")] == ["acme", "initech"]
    assert [s.customer_id for s in filter_fleet(fleet, "GLO", "")] == ["globex"]
    assert [s.customer_id for s in filter_fleet(fleet, "", "failing")] == ["acme"]
    assert filter_fleet(fleet, "zzz", "") == []


def test_the_usage_bar_is_the_share_of_the_budget() -> None:
    assert usage_bar(status("a")).level == "unknown"
    half = usage_bar(status("a", used=2_500))
    assert (half.percent, half.level) == (50, "ok")
    assert "2,500 of 10,000" in half.label
    over = usage_bar(status("a", used=6_000))
    assert (over.percent, over.level) == (100, "over") and "120%" in over.label


def test_the_run_chart_scales_each_series_and_puts_the_oldest_left() -> None:
    chart = run_chart([run(2, rows=100, calls=4), run(1, rows=50, calls=8)], height=102)

    assert [bar.value for bar in chart.rows] == [50, 100]
    assert [bar.height for bar in chart.rows] == [50.0, 100.0]
    assert [bar.height for bar in chart.calls] == [100.0, 50.0]
    assert chart.rows[0].x < chart.rows[1].x
    assert all(bar.y + bar.height == 102 for bar in (*chart.rows, *chart.calls))
    assert run_chart([]).rows == ()
