"""The audit trail: who did what to a customer's data, and when, but never whose data.

Events are rows of the customer's `audit_events` table. `detail` is a small dict of facts
(counts, kinds, outcomes) stored as JSON; it must not carry personal data, so a forget records
the kind of identifier ("email"), never the address. `check_detail` refuses the obvious
mistakes (a person field as a key, an email address or phone number as a value).

Actors: `cli:<OS user>` for commands run by an operator (`cli_actor()`), `scheduler` for
scheduled work, `web` for hooks.
"""

from __future__ import annotations

import getpass
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from connector.store.models import PROSPECT_FIELDS, AuditEvent, utcnow

_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_LIKE = re.compile(r"^\+\d[\d\s().-]{6,}$")
_SCALARS = (str, int, float, bool, type(None))


class AuditSink(Protocol):
    """What recording an event needs from a store (a `TenantStore` is one)."""

    customer_id: str

    def add_audit_event(self, event: AuditEvent) -> None: ...


def cli_actor() -> str:
    """The actor of a command run from a shell: `cli:<OS user>` (`cli:unknown` if unknown)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no USER variable and no passwd entry (some containers)
        return "cli:unknown"


def check_detail(detail: Mapping[str, Any]) -> None:
    """Refuse details that look like personal data. Raises ValueError (a programming error)."""
    for key, value in detail.items():
        if key in PROSPECT_FIELDS:
            raise ValueError(f"audit detail key {key!r} is a person field")
        if not isinstance(value, _SCALARS):
            raise ValueError(f"audit detail {key!r} must be a plain value, not a container")
        if isinstance(value, str) and (_EMAIL_LIKE.search(value) or _PHONE_LIKE.match(value)):
            raise ValueError(f"audit detail {key!r} looks like an email address or phone")


def build_audit_event(
    customer_id: str, actor: str, action: str, detail: Mapping[str, Any] | None = None
) -> AuditEvent:
    """An audit event ready to be added to the store (checked by `check_detail`)."""
    if detail:
        check_detail(detail)
    return AuditEvent(
        customer_id=customer_id,
        event_id=uuid.uuid4().hex,
        at=utcnow(),
        actor=actor,
        action=action,
        detail=json.dumps(dict(detail), sort_keys=True) if detail else None,
    )


def record_audit(
    store: AuditSink, actor: str, action: str, detail: Mapping[str, Any] | None = None
) -> AuditEvent:
    """Append an event to the customer's audit trail and return it. Raises StoreError."""
    event = build_audit_event(store.customer_id, actor, action, detail)
    store.add_audit_event(event)
    return event


@contextmanager
def audit_action(
    store: AuditSink, actor: str, action: str, detail: Mapping[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """Record `action` when the block ends, with its outcome: `ok`, or `failed` and the error class.

    The block may add facts to the yielded dict (counts, never personal data). A failure (any
    exception) is recorded with its class name only, then re-raised.
    """
    facts: dict[str, Any] = dict(detail or {})
    try:
        yield facts
    except Exception as exc:
        record_audit(
            store, actor, action, {**facts, "outcome": "failed", "error": type(exc).__name__}
        )
        raise
    record_audit(store, actor, action, {**facts, "outcome": "ok"})


def parse_detail(event: AuditEvent) -> dict[str, Any]:
    """An event's detail as a dict (empty when none)."""
    return json.loads(event.detail) if event.detail else {}
