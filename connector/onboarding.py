"""Issuing a connect link for a customer's Salesforce admin (the CLI and the console).

The link's token is made here, shown once (in the returned URL) and stored only as a hash,
with the login host and connected app the flow will use. The public base URL and the callback
rule are checked before anything is stored, so a link that could not work is never issued.

Errors: `ConfigError` (public URL missing or not allowed, lifetime, TLS rule), `StoreError`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.crm.salesforce.connect_link import (
    callback_url,
    check_ttl,
    hash_secret,
    link_url,
    new_token,
)
from connector.crm.salesforce.tls import check_crm_url
from connector.privacy.audit import record_audit
from connector.store import TenantStore
from connector.store.models import ConnectLink, utcnow


@dataclass(frozen=True)
class IssuedLink:
    """A new link: its URL (the only copy of the token), the callback to register, the row."""

    url: str
    callback: str
    record: ConnectLink


def issue_connect_link(
    store: TenantStore,
    *,
    public_url: str | None,
    login_url: str,
    client_id: str,
    ca_bundle: str | None,
    ttl: timedelta,
    created_by: str,
    now: datetime | None = None,
) -> IssuedLink:
    """Store a one-time link for `store`'s customer, audit it, and return its URL."""
    login = check_crm_url(login_url, what="login URL")
    callback = callback_url(public_url or "", login)
    lifetime = check_ttl(ttl)
    now = now or utcnow()
    token = new_token()
    record = ConnectLink(
        customer_id=store.customer_id,
        link_id=secrets.token_hex(8),
        token_hash=hash_secret(token),
        login_url=login,
        client_id=client_id,
        ca_bundle=ca_bundle,
        created_at=now,
        created_by=created_by,
        expires_at=now + lifetime,
    )
    store.save_connect_link(record)
    expires = record.expires_at.isoformat(timespec="seconds")
    detail = {"link_id": record.link_id, "expires_at": expires}
    record_audit(store, created_by, "connect_link_issue", detail)
    return IssuedLink(link_url(public_url or "", token), callback, record)
