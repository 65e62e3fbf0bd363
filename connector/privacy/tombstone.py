"""An erased customer id is a tombstone: nothing is done under it again.

Once a customer's erasure has run, every command naming it refuses with one line saying
when and by whom the customer was erased, and writes exactly one audit line recording the
refused attempt (the command's name and the actor, nothing about any person). Pick a new
customer id to onboard the same organisation again.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from connector.errors import ConfigError
from connector.privacy.audit import record_audit
from connector.store.admin import AdminStore, as_utc
from connector.store.tenant import TenantStore


class ErasedCustomer(ConfigError):
    """The customer id was erased; it cannot be used again."""


def refuse_if_erased(engine: Engine, customer_id: str, actor: str, command: str) -> None:
    """Raise ErasedCustomer (after one refused-attempt audit line) if `customer_id` was erased."""
    record = AdminStore(engine).get_erasure(customer_id)
    if record is None or record.done_at is None:
        return
    record_audit(TenantStore(engine, customer_id), actor, "refused_erased", {"command": command})
    raise ErasedCustomer(
        f"customer {customer_id!r} was erased on {as_utc(record.done_at):%Y-%m-%d %H:%M} UTC "
        f"(requested by {record.requested_by}); nothing is done for an erased customer id, "
        "onboard again under a new id",
        customer=customer_id,
    )
