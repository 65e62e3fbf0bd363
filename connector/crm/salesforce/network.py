"""One line about a failure to reach the CRM: which host, what went wrong, what to try.

Pure: turns a `requests` exception into words instead of quoting urllib3's nested text.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

#: Said whenever the host is a loopback address: the usual cause is a sandbox not running.
_LOOPBACK_HINT = (
    "the local sandbox org exists only while `connector demo` or `connector sandbox serve` runs"
)
_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


def _cause(exc: requests.RequestException) -> str:
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return "the TLS certificate is not trusted (set crm.ca_bundle for a private CA)"
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer in time (CONNECTOR_HTTP_TIMEOUT)"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the host name does not resolve"
    if "Connection refused" in text:
        return "connection refused"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "cannot connect"
    return type(exc).__name__


def network_problem(exc: requests.RequestException, url: str | None = None) -> str:
    """`cannot reach HOST: cause; hint` for a request that failed before any answer."""
    target = url or (exc.request.url if exc.request is not None else None) or ""
    host = urlsplit(str(target)).netloc or "the CRM"
    hint = (
        _LOOPBACK_HINT
        if host.startswith(_LOOPBACK)
        else "check the host is right and reachable from here, then run again"
    )
    return f"cannot reach {host}: {_cause(exc)}; {hint}"
