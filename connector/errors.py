"""The connector's exceptions, grouped by what the caller can do about them.

    ConnectorError                 root; every error the connector raises on purpose
    ├── ConfigError                fix the configuration, then run again (fatal for this run)
    │   └── FieldMapError          a field map is wrong: names the file, the line and the key
    ├── AuthError                  reconnect the customer (consent revoked, bad key, expired grant)
    ├── CrmError                   the CRM answered with an error; carries its code
    │   ├── CrmTransient           retry with back-off (503, timeouts, UNABLE_TO_LOCK_ROW)
    │   ├── CrmRateLimited         stop the run and reschedule (REQUEST_LIMIT_EXCEEDED, budget)
    │   └── CrmRejected            retrying will not help (bad query, bad record, bad column)
    ├── StoreError                 the database refused or is unreachable
    │   ├── PartitionViolation     code tried to cross customers: always a bug, never retried
    │   └── LeaseLost              another worker took over the customer: stop writing
    └── SecretError                the key ring cannot decrypt or is missing

Messages never carry secrets: `scrub` removes registered secret values from any text before it
reaches a message, a log line or an exception.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

#: The most recent secrets seen (access tokens are renewed all day: keep a bounded window).
_MAX_SECRETS = 512
_secrets: OrderedDict[str, None] = OrderedDict()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that `scrub` removes it from every message."""
    if value and len(value) >= 8:
        with _secrets_lock:
            _secrets[value] = None
            _secrets.move_to_end(value)
            while len(_secrets) > _MAX_SECRETS:
                _secrets.popitem(last=False)


def scrub(text: str) -> str:
    """Return `text` with every registered secret value replaced by `***`."""
    with _secrets_lock:
        values = sorted(_secrets, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, "***")
    return text


class ConnectorError(Exception):
    """Root of every error the connector raises on purpose.

    `customer` names the customer the error is about, when there is one; the CLI prints it.
    """

    exit_code = 1

    def __init__(self, message: str, *, customer: str | None = None) -> None:
        super().__init__(scrub(message))
        self.customer = customer

    def __str__(self) -> str:
        message = super().__str__()
        if self.customer and f"customer {self.customer!r}" not in message:
            return f"customer {self.customer!r}: {message}"
        return message


class ConfigError(ConnectorError):
    """The configuration is wrong; running again without fixing it will fail the same way."""

    exit_code = 2


class FieldMapError(ConfigError):
    """A field map is missing or invalid. The message names the file, line, key and fix."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
        customer: str | None = None,
    ) -> None:
        location = path or ""
        if path and line:
            location = f"{path}:{line}"
        prefix = " ".join(part for part in (location, key) if part)
        super().__init__(f"{prefix}: {message}" if prefix else message, customer=customer)
        self.path = path
        self.line = line
        self.key = key


class AuthError(ConnectorError):
    """The CRM refused our credentials; a person must reconnect the customer."""

    exit_code = 3

    def __init__(self, message: str, *, code: str | None = None, customer: str | None = None):
        super().__init__(message, customer=customer)
        self.code = code


class CrmError(ConnectorError):
    """The CRM answered with an error. `code` is the CRM's own error code."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        customer: str | None = None,
        report: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        parts = [message]
        if report:
            parts.insert(0, f"report {report!r}:")
        if code:
            parts.append(f"[{code}]")
        super().__init__(" ".join(parts), customer=customer)
        self.code = code
        self.status = status
        self.report = report
        self.retry_after = retry_after


class CrmTransient(CrmError):
    """A passing failure (503, timeout, row lock): retry with back-off."""


class CrmRateLimited(CrmError):
    """The org's API allowance or the customer's budget is used up: stop and reschedule."""


class CrmRejected(CrmError):
    """The CRM rejected the request itself; retrying unchanged will fail again."""


class StoreError(ConnectorError):
    """The store failed (database unreachable, constraint, migration)."""

    exit_code = 5


class PartitionViolation(StoreError):
    """A code path tried to read or write another customer's rows. Always a bug."""


class LeaseLost(StoreError):
    """The worker's lease was taken over by another worker: stop writing for this customer."""


class SecretError(ConnectorError):
    """The key ring is missing or cannot decrypt a stored secret."""

    exit_code = 6
