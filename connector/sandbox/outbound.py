"""Outbound messages: the sandbox plays a customer's "Resync" button.

It POSTs a SOAP 1.1 ``notifications`` envelope (namespace
``http://soap.sforce.com/2005/09/outbound``) with the org id, an action id (``04k``), one
``Notification`` (fresh ``04l`` id) and the record's fields, to a listener URL, with
``Content-Type: text/xml; charset=utf-8`` and ``SOAPAction: ""``. A delivery counts as
acknowledged only on HTTP 200 with ``<Ack>true</Ack>``; otherwise it is redelivered with the
same notification id, up to `attempts` times, as Salesforce's queue does (minus the hours).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import requests
from defusedxml import ElementTree

from connector.sandbox.org import SandboxOrg
from connector.sandbox.request_log import RequestLogEntry

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"


@dataclass
class OutboundResult:
    """What happened to one outbound message."""

    notification_id: str
    acked: bool
    attempts: int
    statuses: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "acked": self.acked,
            "attempts": self.attempts,
            "statuses": self.statuses,
        }


def envelope(
    org: SandboxOrg, sobject: str, notification_id: str, record_id: str, fields: dict[str, Any]
) -> str:
    """The SOAP envelope for one notification about one record."""
    base = org.base_url or "https://127.0.0.1"
    org15 = org.organization_id[:15]
    action_id = org.id_sequences["OutboundAction"].id_for(1)
    values = {"Id": record_id, **{k: v for k, v in fields.items() if k != "Id"}}
    field_xml = "".join(_field(name, value) for name, value in values.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        " <soapenv:Body>\n"
        f'  <notifications xmlns="{OUTBOUND_NS}">\n'
        f"   <OrganizationId>{org.organization_id}</OrganizationId>\n"
        f"   <ActionId>{action_id}</ActionId>\n"
        '   <SessionId xsi:nil="true"/>\n'
        f"   <EnterpriseUrl>{escape(base)}/services/Soap/c/59.0/{org15}</EnterpriseUrl>\n"
        f"   <PartnerUrl>{escape(base)}/services/Soap/u/59.0/{org15}</PartnerUrl>\n"
        "   <Notification>\n"
        f"    <Id>{notification_id}</Id>\n"
        f'    <sObject xsi:type="sf:{escape(sobject)}" '
        'xmlns:sf="urn:sobject.enterprise.soap.sforce.com">\n'
        f"{field_xml}"
        "    </sObject>\n"
        "   </Notification>\n"
        "  </notifications>\n"
        " </soapenv:Body>\n"
        "</soapenv:Envelope>\n"
    )


def _field(name: str, value: Any) -> str:
    if value is None:
        return f'     <sf:{name} xsi:nil="true"/>\n'
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f"     <sf:{name}>{escape(text)}</sf:{name}>\n"


def is_ack(status: int, body: bytes) -> bool:
    """True for HTTP 200 carrying ``<Ack>true</Ack>`` in any namespace."""
    if status != 200:
        return False
    try:
        root = ElementTree.fromstring(body)
    except Exception:  # malformed XML is simply not an acknowledgement
        return False
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "Ack":
            return (element.text or "").strip().lower() == "true"
    return False


@dataclass(frozen=True)
class _Delivery:
    url: str
    sobject: str
    record_id: str
    payload: bytes
    timeout: float
    verify: bool | str


def send_outbound_message(
    org: SandboxOrg,
    url: str,
    sobject: str,
    record_id: str,
    fields: dict[str, Any],
    attempts: int = 3,
    retry_delay: float = 0.0,
    timeout: float = 10.0,
    verify: bool | str = True,
) -> OutboundResult:
    """Deliver one notification, redelivering until acknowledged or `attempts` run out."""
    notification_id = org.next_id("OutboundNotification")
    payload = envelope(org, sobject, notification_id, record_id, fields).encode("utf-8")
    delivery = _Delivery(url, sobject, record_id, payload, timeout, verify)
    result = OutboundResult(notification_id, acked=False, attempts=0)
    with requests.Session() as session:
        session.trust_env = False  # deliver exactly where asked: no proxies, no CA overrides
        for attempt in range(1, max(1, attempts) + 1):
            if _deliver(org, session, delivery, result, attempt):
                break
            if retry_delay:
                time.sleep(retry_delay * attempt)
    return result


def _deliver(
    org: SandboxOrg,
    session: requests.Session,
    delivery: _Delivery,
    result: OutboundResult,
    attempt: int,
) -> bool:
    """One delivery attempt; logs it and returns whether it was acknowledged."""
    result.attempts = attempt
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    try:
        response = session.post(
            delivery.url,
            data=delivery.payload,
            headers=headers,
            timeout=delivery.timeout,
            verify=delivery.verify,
        )
        status, body = response.status_code, response.content
    except requests.RequestException:
        status, body = 0, b""
    result.statuses.append(status)
    result.acked = is_ack(status, body)
    org.log_request(_log_entry(delivery, result.notification_id, attempt, status))
    return result.acked


def _log_entry(
    delivery: _Delivery, notification_id: str, attempt: int, status: int
) -> RequestLogEntry:
    return RequestLogEntry(
        method="POST",
        path=delivery.url,
        query={},
        json_body={
            "object": delivery.sobject,
            "record_id": delivery.record_id,
            "notification_id": notification_id,
            "attempt": attempt,
        },
        form_keys=[],
        status=status,
        direction="outbound",
    )
