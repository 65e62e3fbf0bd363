"""Fuzzing: whatever a client sends, the app answers 4xx or 2xx, never a 500.

Schemathesis generates requests from the app's own OpenAPI document (every operation,
bounded examples); hypothesis adds raw XML-ish bytes for the SOAP parser and signed JSON
bodies that get past the signature check.
"""

from __future__ import annotations

import json
import time

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from sqlalchemy.engine import Engine

from connector.web import create_app
from connector.web.settings import WebSettings
from connector.web.signing import customer_secret, sign
from tests.web.conftest import MASTER_SECRET, connect_customer
from tests.web.soap_samples import outbound_message

UNLIMITED_WITH_DOCS = WebSettings(
    webhook_secret=SecretStr(MASTER_SECRET),
    docs=True,
    rate_limit_client="1000000/minute",
    rate_limit_customer="1000000/minute",
)

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_no_operation_answers_a_server_error(sqlite_engine: Engine) -> None:
    """Every operation of the OpenAPI document, 50 generated requests each.

    (Schemathesis's pytest plugin does not run under pytest 9 yet, so the operations are
    driven through its Python API and hypothesis directly.)
    """
    connect_customer(sqlite_engine)
    app = create_app(sqlite_engine, web_settings=UNLIMITED_WITH_DOCS)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {
        "/hooks/salesforce/{customer}",
        "/hooks/{customer}/resync",
        "/api/customers/{customer}/runs",
    }
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        call()


_XML_BITS = st.sampled_from(
    [
        b"<",
        b">",
        b"</",
        b"/>",
        b"<!DOCTYPE x [",
        b"<!ENTITY a 'b'>",
        b"&a;",
        b"]>",
        b"<?xml ",
        b"xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'",
        b"<s:Envelope",
        b"\x00",
        b"\xff",
        b"<OrganizationId>",
        b"00D5g000004XXXXEAA",
        b"<Notification><Id>",
        b"04l5g00000XXXXXAAA",
    ]
)


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=2_000),
        st.lists(_XML_BITS, max_size=40).map(b"".join),
        st.tuples(st.integers(0, 1_500), st.binary(max_size=30)).map(
            lambda cut: outbound_message()[: cut[0]] + cut[1] + outbound_message()[cut[0] :]
        ),
    )
)
def test_outbound_hook_never_fails_on_any_body(client: TestClient, body: bytes) -> None:
    response = client.post("/hooks/salesforce/acme", content=body)
    assert response.status_code in {200, 400, 403}, response.text


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(payload=_JSON)
def test_signed_webhook_never_fails_on_any_json(client: TestClient, payload: object) -> None:
    body = json.dumps(payload).encode()
    timestamp = int(time.time())
    headers = {
        "X-Connector-Timestamp": str(timestamp),
        "X-Connector-Signature": sign(customer_secret(MASTER_SECRET, "acme"), timestamp, body),
    }
    response = client.post("/hooks/acme/resync", content=body, headers=headers)
    expected = {202, 409} if isinstance(payload, dict) else {400}
    assert response.status_code in expected, response.text
