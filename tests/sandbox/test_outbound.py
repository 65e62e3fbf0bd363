"""Outbound messages: the sandbox plays the customer's Resync button against a listener."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
import requests
from defusedxml import ElementTree

from connector.sandbox import SandboxOrg, SandboxServer

ACK = (
    b'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
    b'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
    b'<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack>'
    b"</notificationsResponse></soapenv:Body></soapenv:Envelope>"
)
NS = {
    "o": "http://soap.sforce.com/2005/09/outbound",
    "sf": "urn:sobject.enterprise.soap.sforce.com",
}


class Listener(BaseHTTPRequestHandler):
    """Records each delivery; fails the first `failures` of them with HTTP 500."""

    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    failures: ClassVar[int] = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Listener.received.append((dict(self.headers), body))
        if len(Listener.received) <= Listener.failures:
            self.send_response(500)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.end_headers()
        self.wfile.write(ACK)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def listener() -> Iterator[str]:
    Listener.received = []
    Listener.failures = 0
    server = HTTPServer(("127.0.0.1", 0), Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/outbound"
    server.shutdown()
    server.server_close()


def _send(http: requests.Session, base: str, url: str, record_id: str) -> dict:  # type: ignore[type-arg]
    body = {
        "url": url,
        "object": "Contact",
        "record_id": record_id,
        "fields": {"Email": "a&b@x.example"},
    }
    response = http.post(f"{base}/__sandbox/outbound-message", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_outbound_message_is_a_soap_envelope_and_the_ack_is_detected(
    http: requests.Session, sandbox_server: SandboxServer, sandbox_org: SandboxOrg, listener: str
) -> None:
    contact_id = next(iter(sandbox_org.contacts))
    result = _send(http, sandbox_server.base_url, listener, contact_id)
    assert result["acked"] is True and result["attempts"] == 1
    headers, body = Listener.received[0]
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    assert headers["SOAPAction"] == '""'
    root = ElementTree.fromstring(body)
    notifications = root.find(".//o:notifications", NS)
    assert notifications is not None
    assert notifications.findtext("o:OrganizationId", namespaces=NS) == sandbox_org.organization_id
    assert (notifications.findtext("o:ActionId", namespaces=NS) or "").startswith("04k")
    notification_id = notifications.findtext("o:Notification/o:Id", namespaces=NS) or ""
    assert notification_id.startswith("04l") and notification_id == result["notification_id"]
    sobject = notifications.find("o:Notification/o:sObject", NS)
    assert sobject is not None
    assert sobject.findtext("sf:Id", namespaces=NS) == contact_id
    assert sobject.findtext("sf:Email", namespaces=NS) == "a&b@x.example"
    logged = [e for e in sandbox_org.request_log if e.direction == "outbound"]
    assert logged[-1].path == listener and logged[-1].status == 200


def test_given_no_ack_then_the_same_notification_is_redelivered(
    http: requests.Session, sandbox_server: SandboxServer, sandbox_org: SandboxOrg, listener: str
) -> None:
    Listener.failures = 2
    result = _send(http, sandbox_server.base_url, listener, next(iter(sandbox_org.contacts)))
    assert result["acked"] is True and result["attempts"] == 3
    assert result["statuses"] == [500, 500, 200]
    ids = {
        ElementTree.fromstring(body).findtext(".//o:Notification/o:Id", namespaces=NS)
        for _, body in Listener.received
    }
    assert len(ids) == 1
