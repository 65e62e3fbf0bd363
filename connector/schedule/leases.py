"""Holding a customer's lease while a job runs: acquire, keep alive, notice a loss, release.

`hold_lease(store, ttl)` yields a `HeldLease` (or None when someone else holds it). While it
is held a daemon thread renews it every third of its time to live, so a long pull keeps its
lease; if a renewal finds the lease taken over (the process stalled past the expiry), the
lease is marked lost and the job's next `check()` raises LeaseLost.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from connector.errors import ConnectorError
from connector.store.leases import LeaseLost
from connector.store.tenant import TenantStore

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(minutes=10)


def holder_id() -> str:
    """A name for this worker that is unique across hosts, processes and calls."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class HeldLease:
    """A lease this worker holds; `token` fences its writes."""

    def __init__(self, store: TenantStore, holder: str, token: int, ttl: timedelta) -> None:
        self.store = store
        self.holder = holder
        self.token = token
        self.ttl = ttl
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._renew_until_stopped, name=f"lease-{store.customer_id}", daemon=True
        )

    def check(self) -> None:
        """Raise LeaseLost if the lease was taken over (known locally or found in the store)."""
        if self.lost:
            raise LeaseLost("the lease was taken over", customer=self.store.customer_id)
        try:
            self.store.check_fence(self.token)
        except LeaseLost:
            self.lost = True
            raise

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing and release the lease if it is still ours."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if not self.lost:
            try:
                self.store.release_lease(self.holder, self.token)
            except ConnectorError as exc:  # it expires by itself; say so and go on
                log.warning("customer %s: could not release lease: %s", self.store.customer_id, exc)

    def _renew_until_stopped(self) -> None:
        interval = max(self.ttl.total_seconds() / 3, 0.05)
        while not self._stop.wait(interval):
            try:
                renewed = self.store.renew_lease(self.holder, self.token, self.ttl)
            except ConnectorError as exc:
                log.warning("customer %s: lease renewal failed: %s", self.store.customer_id, exc)
                continue
            if not renewed:
                log.warning(
                    "customer %s: lease taken over by another worker", self.store.customer_id
                )
                self.lost = True
                return


@contextmanager
def hold_lease(
    store: TenantStore, ttl: timedelta = DEFAULT_TTL, holder: str | None = None
) -> Iterator[HeldLease | None]:
    """Hold the customer's lease for the block (renewed in the background); None if busy.

    Raises StoreError when the database fails while acquiring.
    """
    holder = holder or holder_id()
    token = store.acquire_lease(holder, ttl)
    if token is None:
        yield None
        return
    lease = HeldLease(store, holder, token, ttl)
    lease.start()
    try:
        yield lease
    finally:
        lease.stop()
