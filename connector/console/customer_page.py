"""The customer page, and its actions: sync now, full resync, pause/resume, retry a parked one.

Every action takes two steps: a GET shows what will happen and asks to confirm (a form with
the CSRF token), the POST does it, audits it with the signed-in person as the actor
(`console:<email>`) and returns to the page. Acting needs the operator role.

"Sync now" makes the customer due at once; "full resync" records a resync request (source
`console`) exactly as the CRM's outbound messages do. Either way the scheduler runs it at its
next tick (`connector schedule run`), under the customer's lease, and the page, which refreshes
its live part, shows the request pending, the run going, and the request done.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from connector.config import get_settings
from connector.console.customer_data import load_customer_view
from connector.console.deps import Refused, check_csrf, require_role
from connector.console.session import Person
from connector.console.templating import flash, render
from connector.console.views import run_chart, usage_bar
from connector.errors import ConfigError, PartitionViolation
from connector.ops.fleet import require_known_customer
from connector.ops.pause import MAX_REASON, pause_customer, resume_customer
from connector.privacy.audit import record_audit
from connector.store.admin import AdminStore
from connector.store.tenant import TenantStore

router = APIRouter()

Reader = Annotated[Person, Depends(require_role("read-only"))]
Operator = Annotated[Person, Depends(require_role("operator"))]


@dataclass(frozen=True)
class Action:
    """An action of the customer page: its button, what confirming it means, its result."""

    label: str
    explain: str
    done: str


ACTIONS: dict[str, Action] = {
    "sync": Action(
        "Sync now",
        "The customer becomes due now: the scheduler pulls (changes only) and pushes at its "
        "next tick.",
        "The customer is due now; the scheduler runs it at its next tick.",
    ),
    "resync": Action(
        "Full resync",
        "A resync request is recorded: the scheduler re-reads every report in full at its "
        "next tick (the resync limits apply).",
        "Full resync requested; the scheduler runs it at its next tick.",
    ),
    "pause": Action(
        "Pause",
        "Nothing is pulled or pushed until someone resumes; activities still queue.",
        "Paused.",
    ),
    "resume": Action("Resume", "Syncing starts again at the next due time.", "Resumed."),
    "retry": Action(
        "Retry",
        "The parked activity goes back to the outbox; the next push tries it again.",
        "The activity is back in the outbox.",
    ),
}


async def known_customer(request: Request, customer: str) -> str:
    """`customer` if it is known, else a 404 page."""
    try:
        await run_in_threadpool(
            require_known_customer,
            request.app.state.engine,
            get_settings().field_maps_dir,
            customer,
        )
    except (ConfigError, PartitionViolation):
        raise Refused(404, "There is no such customer.") from None
    return customer


Customer = Annotated[str, Depends(known_customer)]


async def _context(request: Request, customer: str) -> dict[str, Any]:
    settings = get_settings()
    view = await run_in_threadpool(
        load_customer_view,
        request.app.state.engine,
        customer,
        settings.field_maps_dir,
        budget_share=settings.api_budget_share,
    )
    return {
        "customer": customer,
        "view": view,
        "usage": usage_bar(view.status),
        "chart": run_chart(view.status.recent_runs),
        "actions": ACTIONS,
        "poll_seconds": request.app.state.console_settings.poll_seconds,
    }


@router.get("/customers/{customer}", name="customer")
async def customer_page(request: Request, person: Reader, customer: Customer) -> Response:
    """The customer page."""
    return render(request, "customer.html", await _context(request, customer))


@router.get("/customers/{customer}/live", name="customer_live")
async def customer_live(request: Request, person: Reader, customer: Customer) -> Response:
    """The page's live part alone: state, resync requests and runs (what the page polls)."""
    return render(request, "_customer_live.html", await _context(request, customer))


@router.get("/customers/{customer}/confirm/{action}", name="confirm")
async def confirm(
    request: Request, person: Operator, customer: Customer, action: str, activity: str = ""
) -> Response:
    """Ask to confirm `action`."""
    if action not in ACTIONS or (action == "retry" and not activity):
        raise Refused(404, "There is no such action.")
    return render(
        request,
        "confirm.html",
        {
            "customer": customer,
            "action": action,
            "spec": ACTIONS[action],
            "activity": activity,
            "max_reason": MAX_REASON,
        },
    )


@router.post(
    "/customers/{customer}/actions/{action}", name="act", dependencies=[Depends(check_csrf)]
)
async def act(
    request: Request,
    person: Operator,
    customer: Customer,
    action: str,
    reason: Annotated[str, Form(max_length=MAX_REASON)] = "",
    activity: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Do `action` (confirmed), audit it, and go back to the customer page."""
    if action not in ACTIONS:
        raise Refused(404, "There is no such action.")
    engine = request.app.state.engine
    try:
        message = await run_in_threadpool(
            _do, TenantStore(engine, customer), AdminStore(engine), person, action, reason, activity
        )
    except ConfigError as exc:
        raise Refused(409, str(exc)) from None
    flash(request, message)
    return RedirectResponse(request.url_for("customer", customer=customer).path, status_code=303)


def _do(
    store: TenantStore, admin: AdminStore, person: Person, action: str, reason: str, activity: str
) -> str:
    """Carry out a confirmed action; returns the message for the page. ConfigError: refused."""
    spec = ACTIONS[action]
    if action == "pause":
        changed = pause_customer(store, admin, actor=person.actor, reason=reason)
        return spec.done if changed else "It was paused already."
    if action == "resume":
        changed = resume_customer(store, admin, actor=person.actor)
        return spec.done if changed else "It was not paused."
    if action in ("sync", "resync"):
        current = store.get_customer()
        if current is not None and current.status == "paused":
            raise ConfigError("the customer is paused; resume it first")
    if action == "sync":
        store.make_due_now()
        record_audit(store, person.actor, "sync_now")
        return spec.done
    if action == "resync":
        outcome = store.record_resync(f"console-{uuid.uuid4().hex}", "console")
        record_audit(store, person.actor, "resync_request", {"outcome": outcome})
        return (
            spec.done if outcome == "recorded" else "A resync was already pending; it covers this."
        )
    if not activity or store.get_activity(activity) is None:
        raise ConfigError("there is no such parked activity")
    count = store.requeue_failed([activity])
    record_audit(store, person.actor, "activity_retry", {"count": count})
    return spec.done if count else "That activity was not parked (any more)."
