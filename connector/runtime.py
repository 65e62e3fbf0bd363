"""Wiring: build a customer's CRM adapter and pull options from settings, store and field map.

Commands, the scheduler and the workers all connect the same way through here, so the API
budget, TLS trust and token handling are the same whoever runs a sync.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from connector.config import Settings
from connector.crm.salesforce.adapter import SalesforceAdapter
from connector.crm.salesforce.session import ApiBudget, SalesforceSession
from connector.crm.salesforce.token_store import StoredTokenSource
from connector.errors import AuthError, ConfigError
from connector.fieldmap import FieldMap
from connector.store.tenant import TenantStore
from connector.sync.screen import Suppressions
from connector.vault import Vault


def connect_crm(
    fm: FieldMap,
    store: TenantStore,
    settings: Settings,
    *,
    vault: Vault | None = None,
    budget: ApiBudget | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SalesforceAdapter:
    """The customer's Salesforce adapter, authenticated through its stored connection.

    Raises AuthError when the customer was never connected or must reconnect.
    """
    return connect_stored(
        store,
        settings,
        api_version=fm.crm.api_version,
        ca_bundle=fm.crm.ca_bundle,
        extra_hosts=fm.crm.extra_hosts,
        vault=vault,
        budget=budget,
        sleep=sleep,
    )


def connect_stored(
    store: TenantStore,
    settings: Settings,
    *,
    api_version: str | None = None,
    ca_bundle: str | None = None,
    extra_hosts: Collection[str] = (),
    vault: Vault | None = None,
    budget: ApiBudget | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SalesforceAdapter:
    """The adapter over the customer's stored connection alone (no field map needed, as for
    drafting one). Raises AuthError (not connected, reconnect needed), ConfigError (paused)."""
    customer_id = store.customer_id
    connection = store.get_connection()
    if connection is None:
        raise AuthError(
            "not connected to a CRM yet; run `connector auth jwt "
            f"{customer_id}` or `connector auth login {customer_id}`",
            customer=customer_id,
        )
    customer = store.get_customer()
    if customer is not None and customer.status == "paused":
        raise ConfigError(
            f"the customer is paused ({customer.status_reason or 'no reason recorded'}); "
            "nothing is synced or pushed while it is paused",
            customer=customer_id,
        )
    if customer is not None and customer.status == "reconnect_needed":
        raise AuthError(
            f"reconnect needed ({customer.status_reason or 'the CRM refused the grant'}); run "
            f"`connector auth login {customer_id}` or `connector auth jwt {customer_id}`",
            customer=customer_id,
        )
    vault = vault or Vault.from_settings(settings)
    tokens = StoredTokenSource(store, vault, timeout=settings.http_timeout, extra_hosts=extra_hosts)
    session = SalesforceSession(
        tokens,
        customer=customer_id,
        api_version=api_version or settings.api_version,
        ca_bundle=connection.ca_bundle or ca_bundle,
        timeout=settings.http_timeout,
        budget=budget or ApiBudget(settings.api_budget_share, settings.api_writeback_budget_share),
        sleep=sleep,
    )
    return SalesforceAdapter(session, report_run_share=settings.report_run_share, poll_sleep=sleep)


def suppression_check(store: TenantStore) -> Suppressions | None:
    """The customer's forgotten-person filter for pulls (None when nobody was forgotten)."""
    from connector.privacy.suppression import suppression_check as load

    return load(store)
