"""Seeded fault injection: make chosen endpoints fail, slow down, or fail per record.

A `FaultRule` matches request paths by regular expression and fires with probability `rate`,
drawn from its own ``random.Random(seed)``, so a test run is reproducible. `times` caps how
often it fires. A rule with a status below 400 only adds latency: the latency of every matching
rule that fires adds up, and error rules are still drawn after it, so latency and faults combine.
With ``per_record=True`` the rule does not fail the HTTP call; instead a share of the records in
an sObject Collections write fail with ``error_code`` as their ``statusCode``. With
``drop_column`` the rule does not fail the call either: a report run it fires on answers
without that detail column (gone from ``detailColumns``, the column info and every row), as an
org does when field-level security hides a field from the integration user.

Well-known codes get Salesforce's status and message unless given explicitly:
UNABLE_TO_LOCK_ROW -> 400, REQUEST_LIMIT_EXCEEDED -> 403 "TotalRequests Limit exceeded.",
INVALID_SESSION_ID -> 401 "Session expired or invalid".
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_STATUS = 503
KNOWN_CODES: dict[str, tuple[int, str]] = {
    "SERVER_UNAVAILABLE": (503, "Server temporarily unavailable, please retry."),
    "UNABLE_TO_LOCK_ROW": (400, "unable to obtain exclusive access to this record"),
    "REQUEST_LIMIT_EXCEEDED": (403, "TotalRequests Limit exceeded."),
    "INVALID_SESSION_ID": (401, "Session expired or invalid"),
    "QUERY_TIMEOUT": (400, "Your query request was running for too long."),
}


@dataclass
class FaultRule:
    """Fail (or slow down) requests whose path matches `endpoint`.

    `status` defaults to the error code's usual status (503 for unknown codes); `message`
    defaults to the code's usual message.
    """

    endpoint: str
    rate: float = 1.0
    status: int = DEFAULT_STATUS
    error_code: str = "SERVER_UNAVAILABLE"
    message: str = ""
    retry_after: int | None = None
    latency_ms: int = 0
    times: int | None = None
    seed: int = 0
    per_record: bool = False
    method: str | None = None
    drop_column: str | None = None
    fired: int = field(default=0, compare=False)
    _random: random.Random = field(init=False, repr=False, compare=False)
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        known_status, known_message = KNOWN_CODES.get(
            self.error_code, (DEFAULT_STATUS, "The server failed to process the request.")
        )
        if self.status == DEFAULT_STATUS:
            self.status = known_status
        if not self.message:
            self.message = known_message
        self._random = random.Random(self.seed)
        self._pattern = re.compile(self.endpoint)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return self._pattern.search(path) is not None

    def roll(self) -> bool:
        """Draw once; True when the rule fires (and counts the firing)."""
        if self.times is not None and self.fired >= self.times:
            return False
        if self._random.random() >= self.rate:
            return False
        self.fired += 1
        return True

    @property
    def is_error(self) -> bool:
        return self.status >= 400

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_random", None)
        data.pop("_pattern", None)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        allowed = {
            "endpoint", "rate", "status", "error_code", "message", "retry_after",
            "latency_ms", "times", "seed", "per_record", "method", "drop_column",
        }  # fmt: skip
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault rule keys: {sorted(unknown)}")
        return cls(**data)


@dataclass(frozen=True)
class RequestFault:
    """What the rules decided for one request: added latency, and the error to answer with."""

    latency_ms: int = 0
    error: FaultRule | None = None


class FaultInjector:
    """The active rules, evaluated in order: latency adds up, the first error that fires wins."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def set(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._rules = list(rules)

    def request_fault(self, method: str, path: str) -> RequestFault:
        """The latency and error the whole-request rules impose on this request.

        Every matching rule is drawn until an error fires, so a latency-only rule never hides
        the error rules after it."""
        latency = 0
        with self._lock:
            for rule in self._rules:
                if rule.per_record or rule.drop_column or not rule.matches(method, path):
                    continue
                if not rule.roll():
                    continue
                latency += rule.latency_ms
                if rule.is_error:
                    return RequestFault(latency, rule)
        return RequestFault(latency, None)

    def dropped_columns(self, method: str, path: str) -> frozenset[str]:
        """The report columns the answer to this request leaves out (``drop_column`` rules)."""
        with self._lock:
            return frozenset(
                rule.drop_column
                for rule in self._rules
                if rule.drop_column and rule.matches(method, path) and rule.roll()
            )

    def record_fault(self, method: str, path: str) -> FaultRule | None:
        """The per-record rule that fires for one record of this request, if any."""
        with self._lock:
            for rule in self._rules:
                if rule.per_record and rule.matches(method, path) and rule.roll():
                    return rule
        return None
