"""Parsing outbound messages safely, and the acknowledgement and fault envelopes."""

from __future__ import annotations

import time

import pytest
from defusedxml.ElementTree import fromstring

from connector.web.soap import ACK, SoapError, fault, parse_outbound, same_org
from tests.web.soap_samples import (
    BILLION_LAUGHS,
    DOCTYPE_ONLY,
    ORG_ID,
    QUADRATIC_BLOWUP,
    external_entity,
    outbound_message,
)


def test_given_salesforce_message_then_org_and_notification_ids_are_read() -> None:
    message = parse_outbound(
        outbound_message(notification_ids=("04l000000000001AAA", "04l000000000002"))
    )
    assert message.organization_id == ORG_ID
    assert message.notification_ids == ("04l000000000001AAA", "04l000000000002")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (BILLION_LAUGHS, "unsafe"),
        (QUADRATIC_BLOWUP, "unsafe"),
        (DOCTYPE_ONLY, "unsafe"),
        (external_entity("/etc/passwd"), "unsafe"),
        (b"", "malformed"),
        (b"<not-closed>", "malformed"),
        (b"\xff\xfe<x/>", "XML"),
        (b'<?xml version="1.0" encoding="nope"?><x/>', "XML"),
        (b"<x/>", "SOAP"),
        (
            b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>',
            "notifications",
        ),
        (outbound_message(org_id="not-an-id"), "Salesforce id"),
        (outbound_message(notification_ids=()), "no Notification"),
        (outbound_message(notification_ids=("04l000000000001AAA",) * 101), "more than 100"),
    ],
)
def test_given_bad_or_hostile_body_then_parse_refuses(body: bytes, words: str) -> None:
    started = time.monotonic()
    with pytest.raises(SoapError, match=words):
        parse_outbound(body)
    assert time.monotonic() - started < 1  # refused before any expansion


@pytest.mark.parametrize(
    ("expected", "received", "same"),
    [
        ("00D5g000004XXXXEA4", "00D5g000004XXXXEA4", True),
        ("00D5g000004XXXXEA4", "00D5g000004XXXX", True),
        ("00D5g000004XXXX", "00D5g000004XXXXEA4", True),
        ("00D5g000004XXXXEA4", "00D5g000004xxxxEAA", False),  # 15-char ids are case-sensitive
        ("00D5g000004XXXXEA4", "00D5g000004YYYYEA4", False),
        # the same first 15 characters with a suffix that does not match them: refused
        ("00D5g000004XXXXEA4", "00D5g000004XXXXEAA", False),
        ("00D5g000004XXXXEA4", "00D5g000004XXXXZZZ", False),
        ("00D5g000004XXXXEAA", "00D5g000004XXXXEAA", False),  # an inconsistent stored id
        ("", "00D5g000004XXXXEA4", False),
    ],
)
def test_org_ids_compare_in_their_full_18_character_form(
    expected: str, received: str, same: bool
) -> None:
    assert same_org(expected, received) is same


def test_ack_is_the_exact_envelope_salesforce_expects() -> None:
    root = fromstring(ACK)
    ns = {
        "s": "http://schemas.xmlsoap.org/soap/envelope/",
        "o": "http://soap.sforce.com/2005/09/outbound",
    }
    assert root.findtext("s:Body/o:notificationsResponse/o:Ack", namespaces=ns) == "true"


def test_fault_escapes_its_message() -> None:
    root = fromstring(fault("a < b & c", "Client"))
    assert root.findtext(".//faultstring") == "a < b & c"
    assert root.findtext(".//faultcode") == "soapenv:Client"
