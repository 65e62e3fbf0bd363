"""Holding a customer's lease while a job runs: acquire, keep alive, notice a loss, release.

`hold_lease(store, ttl)` yields a `HeldLease` (or None when someone else holds it). While it
is held a daemon thread renews it every third of its time to live, so a long pull keeps its
lease; if a renewal finds the lease taken over (the process stalled past the expiry), the
lease is marked lost and the job's next `check()` raises LeaseLost.

The time to live is `CONNECTOR_LEASE_TTL` unless a caller names one. A lease is otherwise
only freed by its holder or by expiry, with one exception: a holder that is provably gone (a
process of this host, in this process namespace, that no longer runs, e.g. after kill -9)
is taken over at once instead of blocking the customer until the lease expires.
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
from pathlib import Path

from connector.errors import ConnectorError
from connector.schedule.settings import get_schedule_settings
from connector.store.leases import LeaseLost
from connector.store.tenant import TenantStore

log = logging.getLogger(__name__)


def configured_ttl() -> timedelta:
    """The lease time to live from CONNECTOR_LEASE_TTL (ten minutes when unset)."""
    return timedelta(seconds=get_schedule_settings().lease_ttl)


def this_host() -> str:
    """This host's name, qualified by its process namespace where the OS exposes one.

    Two containers may share a host name but never a process namespace, so a process id is
    meaningful only between holders whose host parts are equal.
    """
    name = socket.gethostname().replace(":", "_")
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return name
    return f"{name}~pidns{namespace}"


def holder_id() -> str:
    """A name for this worker that is unique across hosts, processes and calls:
    `host:pid:nonce`."""
    return f"{this_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def parse_holder(holder: str) -> tuple[str, int] | None:
    """(host, pid) of a holder named by `holder_id`, or None for any other name."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or not parts[0] or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def process_running(pid: int) -> bool:
    """Whether process `pid` of this host exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # no /proc: it exists, as far as we can tell
    state = stat.rpartition(")")[2].split()[:1]
    return state not in (["Z"], ["X"])


def holder_gone(holder: str) -> bool:
    """True only when `holder` is provably not running: a process of this host that is gone."""
    parsed = parse_holder(holder)
    if parsed is None or parsed[0] != this_host():
        return False
    return parsed[1] != os.getpid() and not process_running(parsed[1])


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


def acquire(store: TenantStore, holder: str, ttl: timedelta) -> int | None:
    """Take the customer's lease if it is free, expired or held by a process that is gone.

    Returns the fencing token, or None while another holder may still be running. Raises
    StoreError when the database fails.
    """
    token = store.acquire_lease(holder, ttl)
    if token is not None:
        return token
    current = store.current_lease()
    if current is None or current.holder is None or not holder_gone(current.holder):
        return None
    # only that very holder is replaced: if anyone took the lease meanwhile, this fails
    token = store.acquire_lease(holder, ttl, replacing=current.holder)
    if token is not None:
        log.warning(
            "customer %s: took over the lease of %s, a process of this host that is gone",
            store.customer_id,
            current.holder,
        )
    return token


@contextmanager
def hold_lease(
    store: TenantStore, ttl: timedelta | None = None, holder: str | None = None
) -> Iterator[HeldLease | None]:
    """Hold the customer's lease for the block (renewed in the background); None if busy.

    `ttl` defaults to CONNECTOR_LEASE_TTL. Raises StoreError when the database fails while
    acquiring.
    """
    holder = holder or holder_id()
    ttl = ttl or configured_ttl()
    token = acquire(store, holder, ttl)
    if token is None:
        yield None
        return
    lease = HeldLease(store, holder, token, ttl)
    lease.start()
    try:
        yield lease
    finally:
        lease.stop()
