"""Alerts: which incidents each customer has, and what to say when one opens or clears.

Pure rules over `CustomerStatus`: a customer needs a reconnect, has failed `failing_after`
times in a row, has used its API read budget, has parked activities, or its reports no longer
match its field map (the scheduler's daily column check found problems, or the last pull
failed on a column). `plan_notices` compares the incidents
open now with those already announced and returns one notice per change, so each incident is
announced once when it opens and once when it clears. Messages carry the customer id, the
kind of incident and error codes, never personal data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from connector.ops.status import FAILING_AFTER, CustomerStatus

Kind = Literal["reconnect", "failing", "api_budget", "parked", "columns"]
KINDS: tuple[Kind, ...] = ("reconnect", "failing", "api_budget", "parked", "columns")

#: Error codes of a pull that mean the reports no longer match the field map: the column check
#: at the start of every pull raises FieldMapError; Salesforce answers INVALID_FIELD for a
#: column that is gone.
COLUMN_CODES = frozenset({"FieldMapError", "INVALID_FIELD"})


@dataclass(frozen=True)
class Incident:
    """Something wrong with one customer that an operator should hear about."""

    customer_id: str
    kind: Kind
    detail: str


@dataclass(frozen=True)
class Notice:
    """One message to send: an incident opened or resolved."""

    incident: Incident
    resolved: bool

    @property
    def title(self) -> str:
        word = "resolved" if self.resolved else "alert"
        return f"connector {word}: {self.incident.customer_id} {_TITLES[self.incident.kind]}"

    @property
    def body(self) -> str:
        if self.resolved:
            return f"customer {self.incident.customer_id}: {_TITLES[self.incident.kind]} cleared"
        return f"customer {self.incident.customer_id}: {self.incident.detail}"


_TITLES: dict[Kind, str] = {
    "reconnect": "needs a reconnect",
    "failing": "keeps failing",
    "api_budget": "used its API budget",
    "parked": "has parked activities",
    "columns": "reports no longer match the field map",
}


def incidents_of(status: CustomerStatus, *, failing_after: int = FAILING_AFTER) -> list[Incident]:
    """The incidents open for one customer now (paused and erasing customers raise none)."""
    if status.state in ("paused", "erasing"):
        return []
    c = status.customer_id
    found: list[Incident] = []
    if status.state == "reconnect_needed":
        found.append(Incident(c, "reconnect", "the CRM refused the grant; run `connector auth`"))
    if status.consecutive_failures >= failing_after:
        code = status.last_run.error_code if status.last_run else None
        found.append(
            Incident(
                c,
                "failing",
                f"{status.consecutive_failures} runs failed in a row (last: {code or 'unknown'})",
            )
        )
    share = status.api.share_of_budget
    if share is not None and share >= 1.0:
        found.append(
            Incident(c, "api_budget", f"the org's API usage is at {share:.0%} of the read budget")
        )
    if status.parked_activities > 0:
        found.append(
            Incident(
                c,
                "parked",
                f"{status.parked_activities} activities were refused by the CRM; "
                "see `connector activities failed`",
            )
        )
    pull = status.last_pull
    if status.column_problems:
        found.append(
            Incident(
                c,
                "columns",
                f"the daily column check found {status.column_problems} problem(s); "
                f"run `connector fieldmap check {c}`",
            )
        )
    elif pull is not None and pull.status == "failed" and pull.error_code in COLUMN_CODES:
        found.append(
            Incident(
                c,
                "columns",
                f"the last pull failed with {pull.error_code}; run `connector fieldmap check {c}`",
            )
        )
    return found


def plan_notices(
    now_open: Iterable[Incident], announced: Mapping[tuple[str, Kind], Incident]
) -> list[Notice]:
    """Notices for incidents that opened since they were announced, and for those that cleared.

    `announced` maps (customer, kind) to the incident last announced as open.
    """
    current = {(i.customer_id, i.kind): i for i in now_open}
    opened = [Notice(i, resolved=False) for key, i in current.items() if key not in announced]
    cleared = [Notice(i, resolved=True) for key, i in announced.items() if key not in current]
    return sorted(opened + cleared, key=lambda n: (n.incident.customer_id, n.incident.kind))
