"""The scheduler's daily online column check: does each customer's folder still match its map?

A report's columns can be renamed or removed in the org at any time; a pull would then fail
on its next run, but a customer with a long schedule (or one paused by its own schedule)
would go unnoticed. Once a day per customer (its own clock, `schedule_state.column_check_at`)
the scheduler runs the same online check as `connector fieldmap check` (describe calls only,
no report run) and stores how many problems it found; `connector status` shows the count and
the column-mismatch alert fires while it is above zero. Only active, connected customers with a
field map are checked; a CRM that cannot be reached records the attempt (so the check is tried
again a day later, not every pass) and keeps the last count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from connector.config import Settings
from connector.errors import ConnectorError
from connector.fieldmap import load_field_map
from connector.fieldmap.loader import available_customers
from connector.fieldmap.online import check_online
from connector.logs import log_context
from connector.store.fleet_rows import CustomerRow, read_customers
from connector.store.tenant import TenantStore

log = logging.getLogger(__name__)

#: How often each customer's columns are checked.
CHECK_EVERY = timedelta(days=1)


def check_due(row: CustomerRow, now: datetime, every: timedelta = CHECK_EVERY) -> bool:
    """Whether the customer's check is due at `now` (pure): active, connected, and not checked
    within `every`."""
    if not row.connected or (row.status or "active") != "active":
        return False
    return row.column_check_at is None or now - row.column_check_at >= every


def run_due_column_checks(
    engine: Engine,
    settings: Settings,
    now: datetime,
    connect: Callable[..., Any] | None = None,
) -> dict[str, int | None]:
    """Check every due customer; problems found per customer checked (None: CRM unreachable).

    One cross-customer read, then describe calls for the due customers only. A customer's
    failure never stops the others. Raises StoreError when the store cannot be read.
    """
    if connect is None:
        from connector.runtime import connect_crm

        connect = connect_crm
    mapped = set(available_customers(settings.field_maps_dir))
    done: dict[str, int | None] = {}
    for customer, row in sorted(read_customers(engine).items()):
        if customer not in mapped or not check_due(row, now):
            continue
        store = TenantStore(engine, customer)
        with log_context(customer=customer, job="column_check"):
            try:
                fm = load_field_map(customer, settings.field_maps_dir)
                problems: int | None = len(check_online(fm, connect(fm, store, settings)).problems)
            except ConnectorError as exc:
                code = getattr(exc, "code", None) or type(exc).__name__
                log.warning("customer %s: column check not run: %s", customer, code)
                problems = None
            store.save_column_check(now, problems)
            log.info("customer %s: column check found %s problem(s)", customer, problems)
        done[customer] = problems
    return done
