"""What to do about a Salesforce error: a pure table from (HTTP status, errorCode) to a verdict.

Retrying lives elsewhere (`session.py`); this module only decides. The rules follow
Salesforce's documented codes and long-running connectors' practice: retry network errors,
5xx, 406, 420, 429 and row locks with back-off; refresh the session once on
`INVALID_SESSION_ID`; never hammer on `REQUEST_LIMIT_EXCEEDED` for the daily allowance; every
other 4xx is the request's own fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Verdict(Enum):
    RETRY = "retry"  # transient: back off and try again
    REFRESH = "refresh"  # the access token expired: refresh once, retry once
    RATE_LIMITED = "rate_limited"  # the org's allowance is spent: stop and reschedule
    REJECTED = "rejected"  # the request is wrong: do not retry
    AUTH = "auth"  # the grant is gone: a person must reconnect


@dataclass(frozen=True)
class Classified:
    verdict: Verdict
    code: str | None
    message: str


_BY_CODE: dict[str, Verdict] = {
    "INVALID_SESSION_ID": Verdict.REFRESH,
    "UNABLE_TO_LOCK_ROW": Verdict.RETRY,
    "SERVER_UNAVAILABLE": Verdict.RETRY,
    "QUERY_TIMEOUT": Verdict.RETRY,
    "TXN_SECURITY_METERING_ERROR": Verdict.RETRY,
    "INVALID_QUERY_LOCATOR": Verdict.REJECTED,
    "API_DISABLED_FOR_ORG": Verdict.AUTH,
    "API_CURRENTLY_DISABLED": Verdict.AUTH,
}

_RETRY_STATUSES = frozenset({406, 408, 420, 429, 500, 502, 503, 504})

#: REQUEST_LIMIT_EXCEEDED messages that mean concurrency (wait a little), not the daily allowance.
_CONCURRENCY_HINTS = ("concurrent", "concurrentperorglongtxn")


def first_error(content: Any) -> tuple[str | None, str]:
    """The (errorCode, message) of a Salesforce error body, whatever its shape."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        item = content[0]
        code = item.get("errorCode") or item.get("statusCode")
        return (str(code) if code else None, str(item.get("message", "")))
    if isinstance(content, dict):
        if "error" in content:
            return str(content["error"]), str(content.get("error_description", ""))
        code = content.get("errorCode")
        return (str(code) if code else None, str(content.get("message", "")))
    return None, str(content or "")[:300]


def classify(status: int | None, content: Any) -> Classified:
    """Decide what to do about a failed call. `status` None means a network failure."""
    code, message = first_error(content)
    if status is None:
        return Classified(Verdict.RETRY, code or "NETWORK_ERROR", message or "network error")
    if code == "REQUEST_LIMIT_EXCEEDED":
        if any(hint in message.lower() for hint in _CONCURRENCY_HINTS):
            return Classified(Verdict.RETRY, code, message)
        return Classified(Verdict.RATE_LIMITED, code, message)
    if code in _BY_CODE:
        return Classified(_BY_CODE[code], code, message)
    if status == 401:
        return Classified(Verdict.REFRESH, code or "INVALID_SESSION_ID", message)
    if status in _RETRY_STATUSES or status >= 500:
        return Classified(Verdict.RETRY, code or f"HTTP_{status}", message)
    return Classified(Verdict.REJECTED, code or f"HTTP_{status}", message)
