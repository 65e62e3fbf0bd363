"""What is due, and when next: pure functions of schedules, state and the clock.

- A customer is due for a **resync** when it has a pending resync request, and for a
  **schedule** run when its `next_due_at` has come (or it never ran). Paused customers and
  those waiting for a reconnect are never due.
- After a success the next run is the schedule's next slot (`every` after the run's start,
  or the cron expression's next match in UTC) plus the customer's jitter.
- After failures the next run waits at least an exponential back-off (5 min, 10, 20, ...
  capped at 6 h), and never less than the schedule's own next slot, so a broken org is not
  hammered. A pending resync of a failing customer also waits for that back-off.
- A resync costs a full pull, so it is rationed (`ResyncPolicy`): at least `min_gap` after
  the last one, and at most `daily_cap` in any 24 hours. A request that must wait stays
  pending (requests coalesce in the store), and meanwhile the schedule runs as usual.

Jitter is derived from the customer id and the slot (a hash), so it spreads customers
evenly, stays the same when the plan is recomputed, and makes tables of tests possible.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from croniter import croniter

from connector.store.resync import CustomerSchedule

Reason = Literal["resync", "schedule"]

BASE_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
RUNNABLE_STATUSES = frozenset({"active"})


@dataclass(frozen=True)
class ResyncPolicy:
    """How often a customer's resync requests may cost a full pull."""

    min_gap: timedelta = timedelta(minutes=15)
    daily_cap: int = 24

    @classmethod
    def of(cls, settings: object) -> ResyncPolicy:
        """The policy of the settings (`resync_min_gap_minutes`, `resync_daily_cap`)."""
        default = cls()
        minutes = getattr(settings, "resync_min_gap_minutes", None)
        cap = getattr(settings, "resync_daily_cap", None)
        return cls(
            min_gap=default.min_gap if minutes is None else timedelta(minutes=minutes),
            daily_cap=default.daily_cap if cap is None else cap,
        )


def resync_allowed(state: CustomerSchedule, now: datetime, policy: ResyncPolicy) -> bool:
    """Whether a pending resync may run now: the gap has passed and the day's cap is not hit."""
    if state.resyncs_last_day >= policy.daily_cap:
        return False
    return state.last_resync_at is None or now - state.last_resync_at >= policy.min_gap


@dataclass(frozen=True)
class Rule:
    """A customer's schedule: every fixed interval or a cron expression, plus jitter."""

    every: timedelta | None = None
    cron: str | None = None
    jitter: timedelta = timedelta(0)

    @classmethod
    def of(cls, spec: object) -> Rule:
        """The rule of a field map's `schedule` section (anything with every/cron/jitter)."""
        return cls(
            every=getattr(spec, "every", None),
            cron=getattr(spec, "cron", None),
            jitter=getattr(spec, "jitter", None) or timedelta(0),
        )


def next_slot(rule: Rule, after: datetime) -> datetime:
    """The schedule's next slot strictly after `after`, without jitter (UTC).

    Raises ValueError for a rule with neither `every` nor `cron`.
    """
    after = after.astimezone(UTC)
    if rule.every is not None:
        return after + rule.every
    if rule.cron is not None:
        slot = croniter(rule.cron, after).get_next(datetime)
        return slot if slot.tzinfo else slot.replace(tzinfo=UTC)
    raise ValueError("a schedule needs `every` or `cron`")


def jitter_offset(customer_id: str, slot: datetime, jitter: timedelta) -> timedelta:
    """A stable offset in [0, jitter) for this customer and slot."""
    if jitter <= timedelta(0):
        return timedelta(0)
    digest = hashlib.sha256(f"{customer_id}|{slot.isoformat()}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return timedelta(seconds=int(jitter.total_seconds() * fraction))


def next_due(rule: Rule, customer_id: str, started: datetime) -> datetime:
    """When a customer whose run started at `started` and succeeded is next due."""
    slot = next_slot(rule, started)
    return slot + jitter_offset(customer_id, slot, rule.jitter)


def backoff(
    failures: int, base: timedelta = BASE_BACKOFF, cap: timedelta = MAX_BACKOFF
) -> timedelta:
    """The wait after `failures` consecutive failures: base * 2^(failures-1), at most `cap`."""
    if failures <= 0:
        return timedelta(0)
    return min(cap, base * 2 ** min(failures - 1, 32))


def next_due_after_failure(
    rule: Rule,
    customer_id: str,
    started: datetime,
    failures: int,
    retry_after: timedelta | None = None,
) -> datetime:
    """When a customer whose run started at `started` and failed is next due.

    `failures` counts this failure too; `retry_after` is a wait the CRM asked for.
    """
    waits = [next_due(rule, customer_id, started), started + backoff(failures)]
    if retry_after is not None:
        waits.append(started + retry_after)
    return max(waits)


def due_reason(
    state: CustomerSchedule, now: datetime, policy: ResyncPolicy | None = None
) -> Reason | None:
    """Why the customer is due now ("resync" wins over "schedule"), or None if it is not."""
    if state.status not in RUNNABLE_STATUSES:
        return None
    time_has_come = state.next_due_at is None or state.next_due_at <= now
    if (
        state.pending_resyncs
        and (state.consecutive_failures == 0 or time_has_come)
        and resync_allowed(state, now, policy or ResyncPolicy())
    ):
        return "resync"
    return "schedule" if time_has_come else None
