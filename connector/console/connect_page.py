"""Issue a connect link from the console: admins only, confirmed, audited, shown once.

    GET  /customers/{c}/connect-link   what the link does; its lifetime, app and login host
    POST /customers/{c}/connect-link   issue it (CSRF), audit it as the signed-in person, and
                                       show it once (the store keeps only its hash)

The link is made by `connector.onboarding.issue_connect_link`, as `connector auth link` does;
the admin who opens it is served by `connector.web.connect`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from connector.config import get_settings
from connector.console.customer_page import Customer
from connector.console.deps import Refused, check_csrf, require_role
from connector.console.session import Person
from connector.console.templating import render
from connector.errors import ConnectorError
from connector.fieldmap.loader import load_field_map
from connector.onboarding import IssuedLink, issue_connect_link
from connector.store.tenant import TenantStore

router = APIRouter()

Admin = Annotated[Person, Depends(require_role("admin"))]

#: The lifetimes offered, label -> duration.
LIFETIMES: dict[str, timedelta] = {
    "1 hour": timedelta(hours=1),
    "24 hours": timedelta(hours=24),
    "7 days": timedelta(days=7),
}


def _defaults(engine: Engine, customer: str) -> dict[str, str]:
    """Login host and client id: the field map's `crm:`, else the stored connection's."""
    try:
        crm = load_field_map(customer, get_settings().field_maps_dir).crm
        return {"login_url": crm.login_url, "client_id": crm.client_id or ""}
    except ConnectorError:
        connection = TenantStore(engine, customer).get_connection()
        if connection is None:
            return {"login_url": "", "client_id": ""}
        return {"login_url": connection.login_url, "client_id": connection.client_id or ""}


@router.get("/customers/{customer}/connect-link", name="connect_confirm")
async def connect_confirm(request: Request, person: Admin, customer: Customer) -> Response:
    """Ask to confirm issuing a link, with its lifetime, app and login host."""
    defaults = await run_in_threadpool(_defaults, request.app.state.engine, customer)
    context = {
        "customer": customer,
        "lifetimes": list(LIFETIMES),
        "public_url": get_settings().public_url,
        **defaults,
    }
    return render(request, "connect_confirm.html", context)


@router.post(
    "/customers/{customer}/connect-link",
    name="connect_issue",
    dependencies=[Depends(check_csrf)],
)
async def connect_issue(
    request: Request,
    person: Admin,
    customer: Customer,
    lifetime: Annotated[str, Form(max_length=20)],
    login_url: Annotated[str, Form(max_length=300)],
    client_id: Annotated[str, Form(min_length=1, max_length=300)],
) -> Response:
    """Issue the link and show it once."""
    if lifetime not in LIFETIMES:
        raise Refused(400, "Choose one of the offered lifetimes.")
    settings = get_settings()
    defaults = await run_in_threadpool(_defaults, request.app.state.engine, customer)
    ca_bundle = None
    if login_url == defaults["login_url"]:  # the map's (or connection's) trust goes with it
        ca_bundle = _ca_bundle(request.app.state.engine, customer)
    try:
        issued: IssuedLink = await run_in_threadpool(
            lambda: issue_connect_link(
                TenantStore(request.app.state.engine, customer),
                public_url=settings.public_url,
                login_url=login_url,
                client_id=client_id,
                ca_bundle=ca_bundle,
                ttl=LIFETIMES[lifetime],
                created_by=person.actor,
            )
        )
    except ConnectorError as exc:
        raise Refused(409, f"No link was issued: {exc}") from None
    context = {"customer": customer, "issued": issued, "lifetime": lifetime}
    return render(request, "connect_issued.html", context)


def _ca_bundle(engine: Engine, customer: str) -> str | None:
    try:
        return load_field_map(customer, get_settings().field_maps_dir).crm.ca_bundle
    except ConnectorError:
        connection = TenantStore(engine, customer).get_connection()
        return connection.ca_bundle if connection else None
