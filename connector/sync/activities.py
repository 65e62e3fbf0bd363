"""Activities coming in from the platform, and the CRM Task records they become (pure).

`ActivityIn` is the one accepted shape of a call or email: metadata only. Content such as a
body, a recording URL or a transcript is refused (`extra="forbid"`), so it can never reach
the store or the CRM. `to_task_record` turns a stored activity into the Task record that is
upserted on the customer's external-id field; it does no I/O and is tested with tables.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import UTC
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from connector.fieldmap import ActivitiesSpec
from connector.store.models import Activity

SUBJECT_LIMIT = 255
CRM_ID = r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$"
#: Keys that carry content rather than metadata; named in the refusal message.
CONTENT_KEYS = frozenset({"body", "html_body", "text_body", "recording_url", "transcript", "notes"})
_TASK_TYPE = {"call": "Call", "email": "Email"}
_CALL_TYPE = {"inbound": "Inbound", "outbound": "Outbound"}

Text255 = Annotated[str, Field(min_length=1, max_length=SUBJECT_LIMIT)]


#: A call longer than a week is a data error, and the CRM's integer field could not hold much more.
MAX_CALL_SECONDS = 7 * 24 * 3600
EARLIEST_YEAR, LATEST_YEAR = 1970, 2999


class ActivityIn(BaseModel):
    """A call or email made on the platform, as handed to `record_activities`.

    `id` is the platform's stable UUID: recording it again is an update, never a second
    activity. Unknown keys are errors; content keys (`body`, `recording_url`, `transcript`)
    are refused because the connector stores and writes back metadata only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: UUID
    kind: Literal["call", "email"]
    prospect_crm_id: Annotated[str, Field(pattern=CRM_ID)]
    occurred_at: AwareDatetime
    direction: Literal["inbound", "outbound"] | None = None
    duration_seconds: Annotated[int, Field(ge=0, le=MAX_CALL_SECONDS)] | None = None
    outcome: Text255 | None = None
    subject: Text255 | None = None

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: AwareDatetime) -> AwareDatetime:
        try:
            moment = value.astimezone(UTC)
        except OverflowError:
            raise ValueError("occurred_at is out of range") from None
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise ValueError(f"occurred_at must fall between {EARLIEST_YEAR} and {LATEST_YEAR}")
        return moment

    @field_validator("duration_seconds")
    @classmethod
    def _calls_only(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("kind") == "email":
            raise ValueError("duration_seconds applies to calls only; leave it out for emails")
        return value

    def store_fields(self) -> dict[str, Any]:
        """The activity as store column values (no outbox state)."""
        return {
            "activity_id": str(self.id),
            "kind": self.kind,
            "prospect_crm_id": self.prospect_crm_id,
            "occurred_at": self.occurred_at,
            "direction": self.direction,
            "duration_seconds": self.duration_seconds,
            "outcome": self.outcome,
            "subject": self.subject,
        }


def describe_errors(exc: ValidationError) -> list[str]:
    """One `field: problem` line per validation error, with content keys explained."""
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(activity)"
        if error["type"] == "extra_forbidden":
            lines.append(f"{where}: {_extra_key_message(where)}")
        else:
            lines.append(f"{where}: {error['msg']}")
    return lines


def _extra_key_message(key: str) -> str:
    if key in CONTENT_KEYS:
        return (
            "refused: activity content (bodies, recordings, transcripts) is never accepted; "
            "send metadata only"
        )
    return "unknown field; accepted fields are " + ", ".join(ActivityIn.model_fields)


# -- activity -> Task ------------------------------------------------------------------------


class _Blank(dict[str, str]):
    """Template values where any missing placeholder renders as empty text."""

    def __missing__(self, key: str) -> str:
        return ""


def template_values(activity: Activity) -> dict[str, str]:
    """The values a subject template may name, as text (missing values are empty)."""
    duration = activity.duration_seconds
    values: dict[str, object] = {
        "kind": activity.kind,
        "direction": activity.direction,
        "outcome": activity.outcome,
        "subject": activity.subject,
        "duration_seconds": duration,
        "duration": f"{duration // 60}:{duration % 60:02d}" if duration is not None else None,
        "date": activity.occurred_at.astimezone(UTC).date().isoformat(),
    }
    return {name: str(value) for name, value in values.items() if value is not None}


def render_subject(template: str, values: Mapping[str, str], fallback: str) -> str:
    """Fill `template`; empty placeholders leave no dangling separator; cut to 255 chars.

    "Call: {outcome}" without an outcome gives "Call", never "Call: ". An empty result
    falls back to `fallback`.
    """
    text = string.Formatter().vformat(template, (), _Blank(values))
    text = " ".join(text.split()).rstrip(" :|,;-\u2013\u2014")
    return (text or fallback)[:SUBJECT_LIMIT]


def to_task_record(spec: ActivitiesSpec, activity: Activity) -> dict[str, Any]:
    """The Task record that upserts `activity` on `spec.external_id_field`.

    `TaskSubtype` cannot be changed once a Task exists, so it is sent only while the Task is
    not known to exist (no `crm_task_id` yet). Call fields are sent for calls only; empty
    values are left out rather than sent as null. `spec.fields` constants come last, so they
    may override the default `Type` for orgs whose picklist differs.
    """
    label = _TASK_TYPE[activity.kind]
    template = spec.call_subject if activity.kind == "call" else spec.email_subject
    record: dict[str, Any] = {
        spec.external_id_field: activity.activity_id,
        "WhoId": activity.prospect_crm_id,
        "Subject": render_subject(template, template_values(activity), label),
        "Status": spec.status,
        "ActivityDate": activity.occurred_at.astimezone(UTC).date().isoformat(),
        "Type": label,
    }
    if activity.crm_task_id is None:
        record["TaskSubtype"] = label
    if activity.kind == "call":
        record.update(_call_fields(activity))
    record.update(spec.fields)
    return record


def _call_fields(activity: Activity) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "CallDurationInSeconds": activity.duration_seconds,
        "CallType": _CALL_TYPE.get(activity.direction or ""),
        "CallDisposition": activity.outcome[:SUBJECT_LIMIT] if activity.outcome else None,
    }
    return {name: value for name, value in fields.items() if value is not None}
