"""Revoke a customer's CRM tokens before erasure: best effort, never blocking the deletion.

This is the one place the privacy package reaches into `crm.salesforce` (the design lets it
see only `crm.base`): the import is confined to `revoke_crm_tokens`, so a change of the
revocation API is a one-line change here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from connector.config import get_settings
from connector.errors import scrub
from connector.store.tenant import TenantStore

log = logging.getLogger(__name__)

#: (engine, customer id) -> None when revoked or nothing to revoke, else what went wrong.
Revoker = Callable[[Engine, str], str | None]


def revoke_crm_tokens(engine: Engine, customer_id: str) -> str | None:
    """Revoke the customer's CRM tokens and delete the stored secrets, if there is a connection.

    Returns None on success or when there was nothing to revoke, else a one-line reason.
    Never raises: offboarding must not depend on the CRM or the key ring.
    """
    try:
        from connector.crm.salesforce.revoke import revoke_connection
        from connector.vault import Vault

        store = TenantStore(engine, customer_id)
        if store.get_connection() is None:
            return None
        settings = get_settings()
        outcome = revoke_connection(
            store,
            Vault.from_settings(settings),
            customer_id,
            extra_hosts=_extra_hosts(customer_id, Path(settings.field_maps_dir)),
        )
        return outcome.remote_error
    except Exception as exc:  # best effort by design: report any failure, go on erasing
        reason = f"{type(exc).__name__}: {scrub(str(exc))}"
        log.warning("customer %s: revoking the CRM tokens failed: %s", customer_id, reason)
        return reason


def _extra_hosts(customer_id: str, field_maps_dir: Path) -> tuple[str, ...]:
    """The customer's own CRM hosts (`crm.extra_hosts`), when its field map is still there."""
    if not (field_maps_dir / f"{customer_id}.yaml").is_file():
        return ()
    from connector.fieldmap import load_field_map

    return tuple(load_field_map(customer_id, field_maps_dir).crm.extra_hosts)
