"""A failure to reach the CRM is described in words, with the host and what to try."""

from __future__ import annotations

import pytest
import requests

from connector.crm.salesforce.network import network_problem

RAW = (
    "HTTPSConnectionPool(host='127.0.0.1', port=8443): Max retries exceeded with url: "
    "/services/oauth2/token (Caused by NewConnectionError('<urllib3.connection."
    "HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] "
    "Connection refused'))"
)


@pytest.mark.parametrize(
    ("exc", "url", "expected"),
    [
        (
            requests.ConnectionError(RAW),
            "https://127.0.0.1:8443/services/oauth2/token",
            "cannot reach 127.0.0.1:8443: connection refused; the local sandbox org exists "
            "only while `connector demo` or `connector sandbox serve` runs",
        ),
        (
            requests.ConnectTimeout("timed out"),
            "https://acme.my.salesforce.com/services/data",
            "cannot reach acme.my.salesforce.com: no answer in time (CONNECTOR_HTTP_TIMEOUT); "
            "check the host is right and reachable from here, then run again",
        ),
        (
            requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"),
            "https://acme.my.salesforce.com",
            "cannot reach acme.my.salesforce.com: the TLS certificate is not trusted (set "
            "crm.ca_bundle for a private CA); check the host is right and reachable from here, "
            "then run again",
        ),
    ],
)
def test_a_network_failure_names_the_host_the_cause_and_a_hint(
    exc: requests.RequestException, url: str, expected: str
) -> None:
    assert network_problem(exc, url) == expected


def test_without_a_url_the_host_comes_from_the_request() -> None:
    request = requests.Request("GET", "https://na1.salesforce.com/services/data").prepare()
    exc = requests.ConnectionError("Name or service not known", request=request)

    assert network_problem(exc).startswith(
        "cannot reach na1.salesforce.com: the host name does not resolve;"
    )
