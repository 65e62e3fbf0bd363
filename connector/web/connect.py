"""Connect links: a customer's Salesforce admin connects the org from a browser, once.

    GET  /connect/{token}    a small page naming the customer, with a button to go on
    POST /connect/{token}    starts the web-server flow with PKCE (the state bound to the link)
    GET  /connect/callback   Salesforce's redirect: exchange the code, store the connection
                             as `connector auth login` does, mark the link used, audit it

A link is found by the hash of its token; the flow's state by its hash too, and its PKCE
verifier is kept encrypted on the link row. The callback claims the link with a
compare-and-set before it exchanges the code, so of two callbacks only one connects; when the
exchange fails the claim is released and the admin can open the link again. Pages carry
`Referrer-Policy: no-referrer` (the token is in the URL) and are never cached.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine

from connector.config import Settings
from connector.crm.salesforce.callback import CallbackResult, parse_callback
from connector.crm.salesforce.connect import save_web_connection
from connector.crm.salesforce.connect_link import callback_url, hash_secret, is_token
from connector.crm.salesforce.oauth_errors import to_auth_error
from connector.crm.salesforce.oauth_web import build_authorization_request, exchange_code
from connector.crm.salesforce.token_endpoint import TokenResponse
from connector.errors import ConnectorError
from connector.privacy.audit import record_audit
from connector.store import TenantStore
from connector.store.admin import as_utc
from connector.store.connect_links import connect_link_customer
from connector.store.models import ConnectLink, utcnow
from connector.vault import Vault

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
}
USE_ACTION = "connect_link_use"


@dataclass(frozen=True)
class Found:
    """A live link and the customer's store it lives in."""

    store: TenantStore
    link: ConnectLink


class Refused(Exception):
    """A request that ends on an explanatory page with `status`."""

    def __init__(self, status: int, title: str, text: str) -> None:
        super().__init__(title)
        self.status, self.title, self.text = status, title, text


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A small self-contained page (`body` is HTML the caller escaped)."""
    document = (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;"
        "padding:0 1rem;color:#111;line-height:1.5}button{font-size:1rem;padding:.6rem 1.2rem;"
        "background:#0b5cad;color:#fff;border:0;border-radius:4px}</style>"
        f"<main><h1>{html.escape(title)}</h1>{body}</main></html>"
    )
    return HTMLResponse(document, status_code=status, headers=HEADERS)


def refused_page(refused: Refused) -> HTMLResponse:
    return page(refused.title, f"<p>{html.escape(refused.text)}</p>", refused.status)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


_NOT_VALID = Refused(
    404, "Link not valid", "This connect link is not valid. Ask your contact for a new one."
)
_USED = Refused(
    410, "Link already used", "This connect link was used already; a link works once. Ask "
    "your contact for a new one if the org still needs connecting.",
)  # fmt: skip
_EXPIRED = Refused(410, "Link expired", "This connect link has expired. Ask for a new one.")


def _check_live(link: ConnectLink, now: datetime) -> None:
    if link.used_at is not None:
        raise _USED
    if as_utc(link.expires_at) <= now:
        raise _EXPIRED


def find_by_token(engine: Engine, token: str, now: datetime) -> Found:
    """The live link of `token`; Refused (404, 410) otherwise."""
    if not is_token(token):
        raise _NOT_VALID
    digest = hash_secret(token)
    customer = connect_link_customer(engine, digest)
    if customer is None:
        raise _NOT_VALID
    store = TenantStore(engine, customer)
    link = store.connect_link_by_token(digest)
    if link is None:
        raise _NOT_VALID
    _check_live(link, now)
    return Found(store, link)


def find_by_state(engine: Engine, state: str | None, now: datetime) -> Found:
    """The live link whose flow sent `state`; Refused (400, 410) otherwise."""
    stale = Refused(
        400, "Sign-in not recognised", "This answer from Salesforce does not belong to a "
        "connect link in progress (stale or forged). Open your connect link again.",
    )  # fmt: skip
    if not state:
        raise stale
    digest = hash_secret(state)
    customer = connect_link_customer(engine, digest)
    link = TenantStore(engine, customer).connect_link_by_state(digest) if customer else None
    if customer is None or link is None:
        raise stale
    _check_live(link, now)
    return Found(TenantStore(engine, customer), link)


@router.get("/connect/callback")
def connect_callback(request: Request) -> Response:
    """Salesforce's redirect: connect the customer once, or say why not."""
    now = utcnow()
    result = parse_callback(request.url.query)
    try:
        found = find_by_state(_engine(request), result.state, now)
        return _finish(request, found, result, now)
    except Refused as refused:
        return refused_page(refused)


@router.get("/connect/{token}")
def connect_page(token: str, request: Request) -> Response:
    """Name the customer and offer to go on to Salesforce."""
    try:
        found = find_by_token(_engine(request), token, utcnow())
    except Refused as refused:
        return refused_page(refused)
    customer = html.escape(found.store.customer_id)
    expires = as_utc(found.link.expires_at).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"<p>You were sent this link to connect the Salesforce org of <strong>{customer}"
        "</strong> to the connector. Salesforce will ask you to sign in and to allow access "
        "(the connector reads the reports of one folder and writes call and email activities "
        "as Tasks; it never sees your password).</p>"
        f"<p>The link works once and expires {html.escape(expires)}.</p>"
        f'<form method="post" action="/connect/{html.escape(token)}">'
        "<button type=submit>Continue to Salesforce</button></form>"
    )
    return page(f"Connect {found.store.customer_id} to the connector", body)


@router.post("/connect/{token}")
def connect_start(token: str, request: Request) -> Response:
    """Start the web-server flow with PKCE for the link; its state is bound to the link."""
    now = utcnow()
    try:
        found = find_by_token(_engine(request), token, now)
        settings = _settings(request)
        link = found.link
        redirect = callback_url(settings.public_url or "", link.login_url)
        flow = build_authorization_request(link.login_url, link.client_id, redirect)
        verifier = Vault.from_settings(settings).encrypt(flow.code_verifier)
        started = found.store.start_connect_flow(
            link.link_id, state_hash=hash_secret(flow.state), verifier_enc=verifier, now=now
        )
        if not started:
            raise _USED
    except Refused as refused:
        return refused_page(refused)
    except ConnectorError as exc:
        log.error("connect link cannot start a flow: %s", exc)
        return page("Not available", "<p>The connector cannot start the sign-in now; "
                    "please tell your contact.</p>", 503)  # fmt: skip
    return RedirectResponse(flow.url, status_code=303, headers=HEADERS)


def _finish(request: Request, found: Found, result: CallbackResult, now: datetime) -> Response:
    store, link = found.store, found.link
    actor = f"connect_link:{link.link_id}"
    if result.error:
        denied = to_auth_error(result.error, result.error_description or "")
        record_audit(store, actor, USE_ACTION, {"outcome": "denied", "code": denied.code})
        raise Refused(400, "Not connected", f"Salesforce did not grant access: {denied}")
    if not result.code:
        raise Refused(400, "Not connected", "Salesforce's answer carried no authorization code.")
    digest = hash_secret(str(result.state))
    if not store.claim_connect_link(digest, now=now):
        raise _USED
    try:
        token = _exchange(_settings(request), link, str(result.code))
        save_web_connection(
            store,
            Vault.from_settings(_settings(request)),
            token,
            login_url=link.login_url,
            client_id=link.client_id,
            ca_bundle=link.ca_bundle,
        )
    except ConnectorError as exc:
        store.release_connect_link(digest, claimed_at=now)
        record_audit(store, actor, USE_ACTION, {"outcome": "failed", "error": type(exc).__name__})
        raise Refused(502, "Not connected", f"Connecting failed: {exc}. Open the link again "
                      "to retry.") from None  # fmt: skip
    store.finish_connect_link(digest)
    # who issued the link is in its `connect_link_issue` event (the actor may be an email)
    detail = {"outcome": "ok", "org": token.organization_id}
    record_audit(store, actor, USE_ACTION, detail)
    body = (
        f"<p>The Salesforce org <strong>{html.escape(token.organization_id or '?')}</strong> is "
        f"now connected for <strong>{html.escape(store.customer_id)}</strong>. You can close "
        "this window.</p>"
    )
    return page("Connected", body)


def _exchange(settings: Settings, link: ConnectLink, code: str) -> TokenResponse:
    vault = Vault.from_settings(settings)
    verifier = vault.decrypt(link.verifier_enc or "", name="the connect link's PKCE verifier")
    return exchange_code(
        login_url=link.login_url,
        client_id=link.client_id,
        code=code,
        code_verifier=verifier,
        redirect_uri=callback_url(settings.public_url or "", link.login_url),
        ca_bundle=link.ca_bundle,
        timeout=settings.http_timeout,
        customer=link.customer_id,
    )
