"""Alerts: the rules, once per incident with a resolved message, delivered over real HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from connector.errors import ConfigError
from connector.ops.alerts import Incident, incidents_of, plan_notices
from connector.ops.notify import apprise_notifier, run_alerts
from connector.ops.status import ApiUsage, CustomerStatus, RunSummary
from connector.schedule.executor import InlineExecutor
from connector.schedule.runner import run_pass
from connector.store import TenantStore
from connector.store.models import Activity, Connection

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def status(**changes: object) -> CustomerStatus:
    base: dict[str, object] = {
        "customer_id": "acme",
        "state": "active",
        "reason": None,
        "paused_by": None,
        "paused_at": None,
        "connected": True,
        "next_due_at": None,
        "consecutive_failures": 0,
        "last_run": None,
        "last_pull": None,
        "api": ApiUsage(used=None, limit=None, budget_share=0.8),
        "pending_activities": 0,
        "parked_activities": 0,
        "pending_resyncs": 0,
    }
    return CustomerStatus(**{**base, **changes})  # type: ignore[arg-type]


def failed_pull(code: str) -> RunSummary:
    return RunSummary(
        run_id="r",
        kind="pull",
        trigger="schedule",
        status="failed",
        started_at=NOW,
        finished_at=NOW,
        rows_read=0,
        prospects_written=0,
        rejected=0,
        activities_pushed=0,
        activities_failed=0,
        api_calls=1,
        error_code=code,
    )


@pytest.mark.parametrize(
    ("changes", "kinds"),
    [
        ({}, []),
        ({"state": "reconnect_needed"}, ["reconnect"]),
        ({"consecutive_failures": 2}, []),
        ({"consecutive_failures": 3, "state": "failing"}, ["failing"]),
        ({"api": ApiUsage(used=7_999, limit=10_000, budget_share=0.8)}, []),
        ({"api": ApiUsage(used=8_000, limit=10_000, budget_share=0.8)}, ["api_budget"]),
        ({"parked_activities": 1}, ["parked"]),
        ({"last_pull": failed_pull("FieldMapError")}, ["columns"]),
        ({"last_pull": failed_pull("SERVER_UNAVAILABLE")}, []),
        ({"state": "paused", "parked_activities": 4, "consecutive_failures": 9}, []),
        ({"state": "erasing", "parked_activities": 4}, []),
    ],
)
def test_given_a_status_then_these_incidents_are_open(
    changes: dict[str, object], kinds: list[str]
) -> None:
    assert [i.kind for i in incidents_of(status(**changes))] == kinds


def test_an_incident_is_announced_once_when_it_opens_and_once_when_it_clears() -> None:
    parked = Incident("acme", "parked", "2 activities")
    opened = plan_notices([parked], {})
    assert [(n.incident.kind, n.resolved) for n in opened] == [("parked", False)]
    assert plan_notices([parked], {("acme", "parked"): parked}) == []
    cleared = plan_notices([], {("acme", "parked"): parked})
    assert [(n.incident.kind, n.resolved) for n in cleared] == [("parked", True)]
    assert "cleared" in cleared[0].body and cleared[0].title.startswith("connector resolved")


class Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []
    status_code = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        type(self).received.append(json.loads(body))
        self.send_response(type(self).status_code)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[Receiver]]]:
    """A local HTTP endpoint that records the JSON webhooks Apprise sends it."""
    handler = type("Handler", (Receiver,), {"received": [], "status_code": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/alerts", handler
    finally:
        server.shutdown()
        thread.join(timeout=10)


def park_one(engine: Engine) -> TenantStore:
    store = TenantStore(engine, "acme")
    store.save_connection(
        Connection(customer_id="acme", auth="jwt", login_url="https://login.salesforce.com")
    )
    with store.session() as session:
        session.add(
            Activity(
                customer_id="acme",
                activity_id="6f1c2a52-8d4e-4a0b-9a55-0a1b2c3d4e5f",
                kind="call",
                prospect_crm_id="003000000000001AAA",
                occurred_at=NOW,
                push_status="failed",
                error_code="INVALID_CROSS_REFERENCE_KEY",
            )
        )
    return store


def test_alerts_reach_a_webhook_once_per_incident_with_a_resolved_message(
    engine: Engine, tmp_path: Path, receiver: tuple[str, type[Receiver]]
) -> None:
    url, handler = receiver
    store = park_one(engine)
    notify = apprise_notifier([url])

    first = run_alerts(engine, tmp_path, notify, budget_share=0.8)
    again = run_alerts(engine, tmp_path, notify, budget_share=0.8)
    store.requeue_failed()
    cleared = run_alerts(engine, tmp_path, notify, budget_share=0.8)

    assert [(n.incident.kind, n.resolved) for n in first] == [("parked", False)]
    assert again == []
    assert [(n.incident.kind, n.resolved) for n in cleared] == [("parked", True)]
    titles = [message["title"] for message in handler.received]
    assert titles == [
        "connector alert: acme has parked activities",
        "connector resolved: acme has parked activities",
    ]
    assert "003000000000001AAA" not in json.dumps(handler.received)
    assert [e.action for e in store.audit_events()][:2] == ["alert:parked", "alert:parked"]


def test_an_undelivered_alert_is_not_recorded_and_is_sent_at_the_next_pass(
    engine: Engine, tmp_path: Path, receiver: tuple[str, type[Receiver]]
) -> None:
    url, handler = receiver
    park_one(engine)
    notify = apprise_notifier([url])
    handler.status_code = 500
    assert run_alerts(engine, tmp_path, notify, budget_share=0.8) == []
    handler.status_code = 200
    assert len(run_alerts(engine, tmp_path, notify, budget_share=0.8)) == 1
    assert len(handler.received) == 2


def test_the_scheduler_pass_sends_alerts_and_survives_a_broken_channel(
    sqlite_engine: Engine, tmp_path: Path, receiver: tuple[str, type[Receiver]]
) -> None:
    from connector.config import get_settings

    url, handler = receiver
    park_one(sqlite_engine)
    settings = get_settings()
    executor = InlineExecutor(sqlite_engine, settings, ttl=timedelta(minutes=5))
    notify = apprise_notifier([url])

    report = run_pass(
        sqlite_engine,
        settings,
        executor,
        alerts=lambda: run_alerts(sqlite_engine, tmp_path, notify, budget_share=0.8),
    )
    assert report.alerts == 1 and len(handler.received) == 1

    def broken() -> list[object]:
        raise OSError("channel down")

    assert run_pass(sqlite_engine, settings, executor, alerts=broken).alerts == 0


def test_a_url_apprise_does_not_understand_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="CONNECTOR_ALERT_URLS"):
        apprise_notifier(["nosuchscheme://x"])
