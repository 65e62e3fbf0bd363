"""A process that races for a customer's lease: `python lease_racer.py URL CUSTOMER GO_FILE`.

It prints "ready", waits until GO_FILE exists (so racers start together), tries once, and
prints the fencing token it got or "none". On PostgreSQL it binds its transactions with
CONNECTOR_TENANT_KEY, as the application does.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from connector.store import TenantStore, make_engine


def main(url: str, customer: str, go_file: str) -> None:
    store = TenantStore(
        make_engine(url, tenant_key=os.environ.get("CONNECTOR_TENANT_KEY")), customer
    )
    store.current_lease()  # connect before the start signal
    print("ready", flush=True)
    go = Path(go_file)
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.001)
    token = store.acquire_lease(f"racer-{customer}-{id(store)}", timedelta(minutes=5))
    print("none" if token is None else token, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
