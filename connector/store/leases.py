"""Leases: one sync per customer at a time (invariant 7), with fencing tokens.

A lease row per customer says who holds the right to sync it and until when. Taking it is
one atomic statement, on SQLite and PostgreSQL alike:

    INSERT INTO leases (...) VALUES (me, token 1, expiry)
    ON CONFLICT (customer_id) DO UPDATE SET holder = me, token = token + 1, expiry
    WHERE expires_at IS NULL OR expires_at < now OR holder = me [OR holder = a gone one]
    RETURNING token

so of any number of racing workers exactly one gets a row back. The token grows with every
acquisition and never goes down, even on release. A worker passes its token to fenced writes
(`fenced_session`), which touch the lease row in the same transaction and refuse to commit
when the token is no longer the current one: a worker whose lease expired and was taken over
cannot overwrite the newer holder's work, even if it does not notice it was too slow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from connector.errors import LeaseLost
from connector.store.base import TenantStoreBase, insert_into
from connector.store.models import Lease, utcnow

__all__ = ["LeaseLost", "LeasesMixin"]


def db_time(when: datetime) -> datetime:
    """`when` as an aware UTC datetime (naive values are taken to be UTC already).

    The store's datetime columns accept aware values only, and lease expiries are compared
    in SQL, so every value written or compared goes through here.
    """
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class LeasesMixin(TenantStoreBase):
    """The customer's sync lease: acquire, renew, release, and fenced writes."""

    def acquire_lease(
        self,
        holder: str,
        ttl: timedelta,
        *,
        now: datetime | None = None,
        replacing: str | None = None,
    ) -> int | None:
        """Take the lease for `ttl` if it is free, expired, or already ours.

        With `replacing`, also when that holder (one the caller knows to be gone) still has
        it, so nobody who took the lease meanwhile is displaced. Returns the new fencing
        token, or None when another holder has a live lease. Raises StoreError when the
        database fails.
        """
        now = db_time(now or utcnow())
        table = Lease.__table__  # type: ignore[attr-defined]
        insert = insert_into(self.engine, table).values(
            customer_id=self.customer_id, holder=holder, token=1, expires_at=now + ttl
        )
        free = [table.c.expires_at.is_(None), table.c.expires_at < now, table.c.holder == holder]
        if replacing is not None:
            free.append(table.c.holder == replacing)
        stmt = insert.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={"holder": holder, "token": table.c.token + 1, "expires_at": now + ttl},
            where=or_(*free),
        ).returning(table.c.token)
        with self.session() as session:
            return session.execute(stmt).scalar_one_or_none()

    def renew_lease(
        self, holder: str, token: int, ttl: timedelta, *, now: datetime | None = None
    ) -> bool:
        """Extend our lease to now + `ttl`; False when it was taken over (token moved on)."""
        expires = db_time(now or utcnow()) + ttl
        return self._touch(holder, token, {"expires_at": expires})

    def release_lease(self, holder: str, token: int) -> bool:
        """Give the lease up so the next worker need not wait for it to expire.

        The token stays, so later acquisitions still get larger ones. False when the lease
        was no longer ours (nothing is changed then).
        """
        return self._touch(holder, token, {"holder": None, "expires_at": None})

    def current_lease(self) -> Lease | None:
        """The lease row as stored (holder, token, expiry), or None if never taken."""
        with self.session() as session:
            return session.exec(select(Lease)).first()

    def check_fence(self, token: int) -> None:
        """Raise LeaseLost unless `token` is still the customer's current fencing token."""
        with self.fenced_session(token):
            pass

    @contextmanager
    def fenced_session(self, token: int) -> Iterator[Session]:
        """A customer session that commits only while `token` is the current fencing token.

        The lease row is touched first, inside the transaction: on PostgreSQL that row lock
        makes a concurrent takeover wait for our commit, on SQLite the write lock does the
        same. Raises LeaseLost (and rolls back) when the lease has moved on.
        """
        with self.session(fence=token) as session:
            yield session

    def _touch(self, holder: str, token: int, values: dict[str, object]) -> bool:
        with self.session() as session:
            result = session.execute(
                update(Lease)
                .where(
                    col(Lease.customer_id) == self.customer_id,
                    col(Lease.holder) == holder,
                    col(Lease.token) == token,
                )
                .values(values)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]
