"""Salesforce outbound messages: parse the SOAP envelope safely, answer ack or fault.

Parsing goes through defusedxml with DTDs, entity declarations and external references
forbidden, so billion-laughs and external-entity payloads are refused before anything is
expanded or fetched. Only what the listener needs is read: the sending org's id and each
notification's id (used to recognise redeliveries); record fields are not kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from connector.crm.salesforce.ids import to_18

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
MAX_NOTIFICATIONS = 100

ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}">\n'
    " <soapenv:Body>\n"
    f'  <notificationsResponse xmlns="{OUTBOUND_NS}">\n'
    "   <Ack>true</Ack>\n"
    "  </notificationsResponse>\n"
    " </soapenv:Body>\n"
    "</soapenv:Envelope>\n"
)


class SoapError(ValueError):
    """The body is not a well-formed, safe outbound message."""


@dataclass(frozen=True)
class OutboundMessage:
    """What the listener uses of an outbound message."""

    organization_id: str
    notification_ids: tuple[str, ...]


def fault(message: str, code: str = "Client") -> str:
    """A SOAP 1.1 fault envelope (`Client`: the sender's fault; `Server`: ours)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}">\n'
        " <soapenv:Body>\n"
        "  <soapenv:Fault>\n"
        f"   <faultcode>soapenv:{code}</faultcode>\n"
        f"   <faultstring>{escape(message)}</faultstring>\n"
        "  </soapenv:Fault>\n"
        " </soapenv:Body>\n"
        "</soapenv:Envelope>\n"
    )


def parse_outbound(body: bytes) -> OutboundMessage:
    """Read an outbound message's org id and notification ids. Raises SoapError."""
    root = _parse(body)
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise SoapError("not a SOAP 1.1 envelope")
    notifications = root.find(f"{{{SOAP_NS}}}Body/{{{OUTBOUND_NS}}}notifications")
    if notifications is None:
        raise SoapError("no outbound-message notifications in the SOAP body")
    organization_id = _salesforce_id(notifications.findtext(f"{{{OUTBOUND_NS}}}OrganizationId"))
    ids = tuple(
        _salesforce_id(item.findtext(f"{{{OUTBOUND_NS}}}Id"))
        for item in notifications.findall(f"{{{OUTBOUND_NS}}}Notification")
    )
    if not ids:
        raise SoapError("the message has no Notification")
    if len(ids) > MAX_NOTIFICATIONS:
        raise SoapError(f"more than {MAX_NOTIFICATIONS} notifications in one message")
    return OutboundMessage(organization_id, ids)


def canonical_org_id(org_id: str) -> str | None:
    """The 18-character form of an org id, or None when it is not a consistent id.

    A 15-character id gains its checksum suffix; an 18-character id must carry the suffix its
    first 15 characters give (so a wrong suffix never passes for the org).
    """
    if not SALESFORCE_ID.match(org_id):
        return None
    full = to_18(org_id[:15])
    return full if len(org_id) == 15 or org_id == full else None


def same_org(expected: str, received: str) -> bool:
    """Whether two org ids name the same org, compared in full 18-character form."""
    ours, theirs = canonical_org_id(expected), canonical_org_id(received)
    return ours is not None and ours == theirs


def _parse(body: bytes) -> Element:
    try:
        return fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SoapError(f"refused unsafe XML ({type(exc).__name__})") from None
    except ParseError as exc:
        raise SoapError(f"malformed XML ({exc})") from None
    except Exception as exc:  # expat's odd corners (encodings, limits): still bad input
        raise SoapError(f"unreadable XML ({type(exc).__name__})") from None


def _salesforce_id(text: str | None) -> str:
    value = (text or "").strip()
    if not SALESFORCE_ID.match(value):
        raise SoapError("an OrganizationId or Notification Id is missing or not a Salesforce id")
    return value
