"""Pause and resume a customer: the rules, shared by the CLI and the web API.

A paused customer is neither pulled nor pushed (the scheduler skips it and `connect_crm`
refuses it); its activities still queue. Who paused it, when and why is kept in the audit
trail (`pause` events) and in the customer's status reason. A customer paused for an erasure
is not resumed here: cancelling an offboarding is not an operator's click.
"""

from __future__ import annotations

from connector.errors import ConfigError
from connector.privacy.audit import record_audit
from connector.store.admin import AdminStore
from connector.store.tenant import TenantStore

#: Longest pause reason kept (it is shown in status tables; it must not hold personal data).
MAX_REASON = 200


def pause_customer(store: TenantStore, admin: AdminStore, *, actor: str, reason: str) -> bool:
    """Pause the customer; returns False when it was already paused (nothing changed).

    Raises ConfigError for an empty reason or a customer whose erasure is pending.
    """
    reason = " ".join(reason.split())[:MAX_REASON]
    if not reason:
        raise ConfigError("say why the customer is paused (--reason)", customer=store.customer_id)
    _refuse_if_erasing(store, admin)
    customer = store.ensure_customer()
    if customer.status == "paused":
        return False
    store.set_customer_status("paused", reason)
    record_audit(store, actor, "pause", {"previous": customer.status, "reason_length": len(reason)})
    return True


def resume_customer(store: TenantStore, admin: AdminStore, *, actor: str) -> bool:
    """Resume a paused customer; returns False when it was not paused (nothing changed).

    Raises ConfigError for a customer whose erasure is pending.
    """
    _refuse_if_erasing(store, admin)
    customer = store.get_customer()
    if customer is None or customer.status != "paused":
        return False
    store.set_customer_status("active", None)
    record_audit(store, actor, "resume", {})
    return True


def _refuse_if_erasing(store: TenantStore, admin: AdminStore) -> None:
    erasure = admin.get_erasure(store.customer_id)
    if erasure is not None and erasure.done_at is None:
        raise ConfigError(
            f"an erasure is pending (due {erasure.due_at:%Y-%m-%d %H:%M} UTC); the customer "
            "stays paused until it runs",
            customer=store.customer_id,
        )
