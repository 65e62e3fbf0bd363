"""The resync button end to end: sandbox org -> outbound message -> web app -> scheduler.

The sandbox plays Salesforce and POSTs a real SOAP outbound message to the web app served
by uvicorn on 127.0.0.1; the app records a resync request; `connector scheduler run --once`
(a separate process on the same store) runs it as a full pull with trigger "resync".
"""

from __future__ import annotations

import time

import requests
from pydantic import SecretStr

from connector.config import get_settings
from connector.schedule.executor import InlineExecutor
from connector.schedule.runner import run_pass
from connector.store.models import SyncRun
from connector.web import create_app
from connector.web.settings import WebSettings
from connector.web.signing import customer_secret, sign
from tests.e2e.conftest import Customer, Sandbox
from tests.helpers.servers import run_connector, serve_in_thread
from tests.web.soap_samples import outbound_message

CONTACT = "003000000000001AAA"
MASTER = "e2e-master-secret-0123456789abcdef"


def press_resync_button(box: Sandbox, url: str) -> dict[str, object]:
    response = requests.post(
        f"{box.server.base_url}/__sandbox/outbound-message",
        json={
            "url": url,
            "object": "Contact",
            "record_id": CONTACT,
            "fields": {"Resync_Requested__c": True},
        },
        verify=str(box.server.ca_path),
        timeout=30,
    )
    response.raise_for_status()
    return dict(response.json())


def resync_pulls(customer: Customer) -> list[SyncRun]:
    return [r for r in customer.store.list_runs(50) if r.kind == "pull" and r.trigger == "resync"]


def test_given_resync_button_pressed_then_scheduler_runs_one_full_resync(
    box: Sandbox, demo: Customer, store_url: str
) -> None:
    app = create_app(demo.store.engine, web_settings=WebSettings())
    with serve_in_thread(app) as base_url:
        delivery = press_resync_button(box, f"{base_url}/hooks/salesforce/demo")
        assert delivery["acked"] is True and delivery["attempts"] == 1
        (request,) = demo.store.pending_resyncs()
        assert request.request_id == delivery["notification_id"]
        assert request.source == "outbound_message"

        result = run_connector("scheduler", "run", "--once")
        assert result.returncode == 0, result.stderr

        (run,) = resync_pulls(demo)
        assert (run.status, run.full) == ("succeeded", True)
        assert run.prospects_written > 0
        assert demo.store.pending_resyncs() == []

        status = requests.get(f"{base_url}/api/customers/demo/runs", timeout=10).json()
        assert status["runs"][0]["run_id"] == run.run_id
        assert status["runs"][0]["trigger"] == "resync"

        again = run_connector("scheduler", "run", "--once")
        assert again.returncode == 0 and len(resync_pulls(demo)) == 1


def test_given_signed_webhook_over_http_then_scheduler_runs_a_resync(
    demo: Customer, store_url: str
) -> None:
    settings = WebSettings(webhook_secret=SecretStr(MASTER))
    with serve_in_thread(create_app(demo.store.engine, web_settings=settings)) as base_url:
        body = b'{"reason": "flow"}'
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "X-Connector-Timestamp": str(timestamp),
            "X-Connector-Signature": sign(customer_secret(MASTER, "demo"), timestamp, body),
        }
        url = f"{base_url}/hooks/demo/resync"
        assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 202
        assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 409
    result = run_connector("scheduler", "run", "--once")
    assert result.returncode == 0, result.stderr
    (run,) = resync_pulls(demo)
    assert run.status == "succeeded"


def flood(base_url: str, org_id: str, messages: int = 50, per_message: int = 100) -> None:
    """`messages` outbound messages of `per_message` new Notification Ids each."""
    for message in range(messages):
        ids = tuple(f"04l{message:06d}{n:06d}AAA" for n in range(per_message))
        body = outbound_message(org_id=org_id, notification_ids=ids)
        response = requests.post(f"{base_url}/hooks/salesforce/demo", data=body, timeout=30)
        assert response.status_code == 200, response.text


def test_given_a_flood_of_outbound_messages_then_one_resync_and_one_pull_of_api_usage(
    box: Sandbox, demo: Customer, store_url: str
) -> None:
    engine = demo.store.engine
    settings = get_settings()
    org_id = demo.store.get_connection().organization_id  # type: ignore[union-attr]
    assert org_id
    used_before = box.org.api_usage
    app = create_app(engine, web_settings=WebSettings(rate_limit_client="1000/minute"))
    with serve_in_thread(app) as base_url:
        flood(base_url, org_id)
        assert len(demo.store.pending_resyncs()) == 1

        # the daily column check's describe calls are not the resync's: left out here
        report = run_pass(engine, settings, InlineExecutor(engine, settings), column_checks=None)
        assert [job.reason for job in report.due] == ["resync"]
        (run,) = resync_pulls(demo)
        assert box.org.api_usage - used_before == run.api_calls > 0

        flood(base_url, org_id, messages=5)  # within the minimum gap: waits, pending
        assert len(demo.store.pending_resyncs()) == 1
        again = run_pass(engine, settings, InlineExecutor(engine, settings), column_checks=None)
        assert "resync" not in [job.reason for job in again.due]
    assert len(resync_pulls(demo)) == 1
    assert box.org.api_usage - used_before == run.api_calls
