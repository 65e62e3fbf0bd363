"""The audit trail: events for privacy actions, never carrying personal data."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from connector.errors import CrmError
from connector.privacy.audit import (
    audit_action,
    check_detail,
    cli_actor,
    parse_detail,
    record_audit,
)
from connector.store import TenantStore


def test_record_audit_stores_actor_action_and_json_detail(sqlite_engine: Engine) -> None:
    store = TenantStore(sqlite_engine, "acme")
    record_audit(store, "scheduler", "sync", {"rows": 3})

    [event] = store.audit_events()
    assert (event.actor, event.action, parse_detail(event)) == ("scheduler", "sync", {"rows": 3})
    assert TenantStore(sqlite_engine, "beta").audit_events() == []


@pytest.mark.parametrize(
    "detail",
    [
        {"email": "x"},
        {"subject": "ada@example.com"},
        {"who": "+1 415 555 0101"},
        {"ids": ["003A"]},
    ],
)
def test_details_that_look_like_personal_data_are_refused(detail: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):
        check_detail(detail)


@pytest.mark.parametrize(
    "detail", [{"kind": "email"}, {"due_at": "2025-03-05T00:00:00+00:00"}, {"n": 5}]
)
def test_plain_facts_are_accepted(detail: dict) -> None:  # type: ignore[type-arg]
    check_detail(detail)


def test_audit_action_records_success_and_failure_with_the_error_class_only(
    sqlite_engine: Engine,
) -> None:
    store = TenantStore(sqlite_engine, "acme")
    with audit_action(store, "cli:ops", "sync") as facts:
        facts["rows"] = 2
    with pytest.raises(CrmError), audit_action(store, "cli:ops", "push"):
        raise CrmError("secret details of the failure")

    events = {e.action: parse_detail(e) for e in store.audit_events()}
    assert events == {
        "sync": {"rows": 2, "outcome": "ok"},
        "push": {"outcome": "failed", "error": "CrmError"},
    }


def test_the_cli_actor_names_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "ops-anna")
    assert cli_actor() == "cli:ops-anna"

    def no_user() -> str:
        raise OSError("no user")

    monkeypatch.setattr("getpass.getuser", no_user)
    assert cli_actor() == "cli:unknown"
