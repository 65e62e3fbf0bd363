"""A process that holds a customer's lease: `python lease_holder.py URL CUSTOMER`.

On PostgreSQL it binds its transactions with CONNECTOR_TENANT_KEY, as the application does.
It takes the lease the way every command does (`hold_lease`, with a ten-minute time to live),
prints "held TOKEN", then waits for its standard input to close, still holding the lease.
Tests kill it with SIGKILL to leave a lease whose holder is gone.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

from connector.schedule.leases import hold_lease
from connector.store import TenantStore, make_engine


def main(url: str, customer: str) -> None:
    store = TenantStore(
        make_engine(url, tenant_key=os.environ.get("CONNECTOR_TENANT_KEY")), customer
    )
    with hold_lease(store, timedelta(minutes=10)) as lease:
        print("none" if lease is None else f"held {lease.token}", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main(*sys.argv[1:3])
