"""Pure tables: a stored activity -> the Task record upserted for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from connector.store.models import Activity
from connector.sync.activities import render_subject, template_values, to_task_record
from tests.push.conftest import EXT_FIELD, field_map

WHO = "003000000000001AAA"
ACTIVITY_ID = "6f1c2d34-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def activity(**overrides: Any) -> Activity:
    values: dict[str, Any] = {
        "customer_id": "acme",
        "activity_id": ACTIVITY_ID,
        "kind": "call",
        "prospect_crm_id": WHO,
        "occurred_at": datetime(2026, 3, 2, 15, 4, tzinfo=UTC),
        "direction": "outbound",
        "duration_seconds": 340,
        "outcome": "Connected",
    }
    values.update(overrides)
    return Activity(**values)


def test_given_a_call_when_mapped_then_every_task_field_is_set() -> None:
    assert to_task_record(field_map().activities, activity()) == {
        EXT_FIELD: ACTIVITY_ID,
        "WhoId": WHO,
        "Subject": "Call: Connected",
        "Status": "Completed",
        "ActivityDate": "2026-03-02",
        "Type": "Call",
        "TaskSubtype": "Call",
        "CallDurationInSeconds": 340,
        "CallType": "Outbound",
        "CallDisposition": "Connected",
    }


def test_given_an_email_when_mapped_then_no_call_fields_are_sent() -> None:
    email = activity(kind="email", duration_seconds=None, outcome="Replied", subject="Pricing")
    assert to_task_record(field_map().activities, email) == {
        EXT_FIELD: ACTIVITY_ID,
        "WhoId": WHO,
        "Subject": "Email: Pricing",
        "Status": "Completed",
        "ActivityDate": "2026-03-02",
        "Type": "Email",
        "TaskSubtype": "Email",
    }


@pytest.mark.parametrize(
    ("overrides", "call_fields"),
    [
        (
            {"direction": "inbound"},
            {"CallType": "Inbound", "CallDurationInSeconds": 340, "CallDisposition": "Connected"},
        ),
        ({"direction": None}, {"CallDurationInSeconds": 340, "CallDisposition": "Connected"}),
        (
            {"duration_seconds": 0},
            {"CallType": "Outbound", "CallDurationInSeconds": 0, "CallDisposition": "Connected"},
        ),
        ({"duration_seconds": None}, {"CallType": "Outbound", "CallDisposition": "Connected"}),
        ({"outcome": None}, {"CallType": "Outbound", "CallDurationInSeconds": 340}),
    ],
    ids=["inbound", "no-direction", "zero-seconds", "no-duration", "no-outcome"],
)
def test_call_fields_follow_the_activity_and_empty_ones_are_left_out(
    overrides: dict[str, Any], call_fields: dict[str, Any]
) -> None:
    record = to_task_record(field_map().activities, activity(**overrides))
    assert {k: v for k, v in record.items() if k.startswith("Call")} == call_fields


@pytest.mark.parametrize(
    ("occurred_at", "date"),
    [
        (datetime(2026, 3, 2, 23, 30, tzinfo=UTC), "2026-03-02"),
        (datetime(2026, 3, 2, 20, 30, tzinfo=timezone(timedelta(hours=-5))), "2026-03-03"),
        (datetime(2026, 3, 3, 0, 30, tzinfo=timezone(timedelta(hours=2))), "2026-03-02"),
    ],
    ids=["utc", "behind-utc", "ahead-of-utc"],
)
def test_activity_date_is_the_utc_date(occurred_at: datetime, date: str) -> None:
    record = to_task_record(field_map().activities, activity(occurred_at=occurred_at))
    assert record["ActivityDate"] == date


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        ("Call: {outcome}", {"outcome": "Connected"}, "Call: Connected"),
        ("Call: {outcome}", {}, "Call"),
        ("Call - {outcome} ({duration})", {"duration": "5:40"}, "Call - (5:40)"),
        ("{kind} {direction}: {outcome}", {"kind": "call", "direction": "inbound"}, "call inbound"),
        ("{nonexistent}", {}, "Fallback"),
        ("Email: {subject}", {"subject": "x" * 300}, ("Email: " + "x" * 300)[:255]),
        ("{{literal}} {outcome}", {"outcome": "ok"}, "{literal} ok"),
    ],
    ids=["filled", "missing", "inner-missing", "several", "unknown", "cut", "braces"],
)
def test_subject_templates(template: str, values: dict[str, str], expected: str) -> None:
    assert render_subject(template, values, "Fallback") == expected


def test_given_a_subject_over_255_when_mapped_then_it_is_cut_not_refused() -> None:
    email = activity(kind="email", duration_seconds=None, subject="s" * 255)
    subject = to_task_record(field_map().activities, email)["Subject"]
    assert len(subject) == 255
    assert subject.startswith("Email: sss")


def test_template_values_offer_duration_and_date() -> None:
    values = template_values(activity(duration_seconds=340))
    assert values["duration"] == "5:40"
    assert values["date"] == "2026-03-02"
    assert "subject" not in values  # missing values are absent, rendered as empty text


def test_given_custom_templates_status_and_constants_when_mapped_then_they_apply() -> None:
    spec = field_map(
        status="Logged",
        call_subject="Dialer {direction} call ({outcome})",
        fields={"Priority": "Low", "Type": "Other"},
    ).activities
    record = to_task_record(spec, activity())
    assert record["Subject"] == "Dialer outbound call (Connected)"
    assert record["Status"] == "Logged"
    assert record["Priority"] == "Low"
    assert record["Type"] == "Other"  # constants may override the default Type


def test_given_a_task_that_exists_when_mapped_then_task_subtype_is_not_sent() -> None:
    record = to_task_record(field_map().activities, activity(crm_task_id="00T000000000001AAA"))
    assert "TaskSubtype" not in record  # create-only in Salesforce
