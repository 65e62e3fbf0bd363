"""Disconnecting a customer: revoke at Salesforce, delete the stored secrets, flag the customer.

The refresh token is revoked when there is one (Salesforce then also ends every session made
from it), otherwise the cached access token. Local secrets are deleted whatever Salesforce
answers, because offboarding must not depend on the CRM being reachable; the outcome says
whether the remote revocation succeeded. A JWT connection has no refresh token: to cut it off
for good, the customer's admin removes the certificate or the user's pre-authorization.

Errors: none from Salesforce or the key ring (a token that cannot be decrypted or revoked is
reported in the outcome and the local secrets are deleted anyway); `StoreError` from the store.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

import requests

from connector.crm.salesforce.token_endpoint import DEFAULT_TIMEOUT, revoke_token
from connector.errors import ConnectorError, PartitionViolation
from connector.store.connections import ConnectionsMixin
from connector.vault import Vault

log = logging.getLogger(__name__)

REVOKED_REASON = (
    "connection revoked by an operator; reconnect with `connector auth login` or `auth jwt`"
)


@dataclass(frozen=True)
class RevokeOutcome:
    """What revoking did: which token was revoked remotely, how many secrets were deleted."""

    revoked: str | None  # "refresh_token" | "access_token" | None (nothing to revoke)
    remote_error: str | None
    secrets_deleted: int


def revoke_connection(
    store: ConnectionsMixin,
    vault: Vault,
    customer: str | None = None,
    *,
    reason: str = REVOKED_REASON,
    timeout: float = DEFAULT_TIMEOUT,
    http: requests.Session | None = None,
    extra_hosts: Collection[str] = (),
) -> RevokeOutcome:
    """Revoke the customer's token at Salesforce, delete its secrets, mark `reconnect_needed`.

    `extra_hosts`: the customer's hosts besides Salesforce's domains (`crm.extra_hosts`).

    `store` is the customer's store; `customer`, if given, must be its customer id (a guard for
    callers holding both). A failed remote revocation is reported in the outcome, not raised.
    """
    if customer is not None and customer != store.customer_id:
        raise PartitionViolation(
            f"revoke_connection for customer {customer!r} got the store of {store.customer_id!r}"
        )
    connection = store.get_connection()
    if connection is None:
        return RevokeOutcome(revoked=None, remote_error=None, secrets_deleted=0)
    kind = _token_to_revoke(connection.refresh_token_enc, connection.access_token_enc)
    remote_error = None
    if kind is not None:
        try:
            encrypted = getattr(connection, f"{kind}_enc")
            token = vault.decrypt(encrypted, name=f"the {kind} of {store.customer_id!r}")
            revoke_token(
                connection.login_url,
                token,
                verify=connection.ca_bundle or True,
                timeout=timeout,
                http=http,
                customer=store.customer_id,
                extra_hosts=extra_hosts,
            )
        except ConnectorError as exc:
            remote_error = str(exc)
            log.warning("revoking the %s of %s failed: %s", kind, store.customer_id, exc)
    deleted = store.clear_connection_secrets()
    store.mark_reconnect_needed(reason)
    log.info("revoked the connection of %s (%d secrets deleted)", store.customer_id, deleted)
    return RevokeOutcome(
        revoked=kind if remote_error is None else None,
        remote_error=remote_error,
        secrets_deleted=deleted,
    )


def _token_to_revoke(refresh_token_enc: str | None, access_token_enc: str | None) -> str | None:
    """Which stored token to revoke: the refresh token if any (it ends all its sessions)."""
    if refresh_token_enc:
        return "refresh_token"
    if access_token_enc:
        return "access_token"
    return None
