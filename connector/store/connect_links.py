"""Store operations on connect links: issue, start a flow, claim once, release on failure.

A link row holds hashes only (of the link's token and of the OAuth state of the flow it
started) and the flow's PKCE verifier encrypted by the caller. Finding the customer a hash
belongs to is the one read across customers (`connect_link_customer`: the store's
`SECURITY DEFINER` function on PostgreSQL); every other operation runs in the customer's own
transaction. `claim` is a compare-and-set, so of two callbacks racing with the same state
exactly one wins.

Errors: `StoreError` when the database fails; `PartitionViolation` for an invalid customer id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from connector.store.base import TenantStoreBase
from connector.store.models import ConnectLink
from connector.store.rls import admin_rows


def connect_link_customer(engine: Engine, digest: str) -> str | None:
    """The customer whose link has token hash or state hash `digest`, or None."""
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            rows = admin_rows(
                session.connection(), "connector_connect_link_customer", digest=digest
            )
            return str(rows[0][0]) if rows and rows[0][0] is not None else None
        found = session.exec(
            select(ConnectLink.customer_id).where(
                (col(ConnectLink.token_hash) == digest) | (col(ConnectLink.state_hash) == digest)
            )
        ).first()
        return str(found) if found is not None else None


class ConnectLinksMixin(TenantStoreBase):
    """The customer's connect links."""

    def save_connect_link(self, link: ConnectLink) -> ConnectLink:
        """Store a newly issued link."""
        with self.session() as session:
            session.add(link)
        return link

    def connect_link_by_token(self, token_hash: str) -> ConnectLink | None:
        """The link whose token hashes to `token_hash` (used or not), or None."""
        with self.session() as session:
            stmt = select(ConnectLink).where(ConnectLink.token_hash == token_hash)
            return session.exec(stmt).first()

    def connect_link_by_state(self, state_hash: str) -> ConnectLink | None:
        """The link whose current flow's state hashes to `state_hash`, or None."""
        with self.session() as session:
            stmt = select(ConnectLink).where(ConnectLink.state_hash == state_hash)
            return session.exec(stmt).first()

    def start_connect_flow(
        self, link_id: str, *, state_hash: str, verifier_enc: str, now: datetime
    ) -> bool:
        """Bind a new flow (state and verifier) to an unused, unexpired link; a flow started
        before on the same link is forgotten. Returns False when the link cannot start one."""
        with self.session() as session:
            result = session.execute(
                update(ConnectLink)
                .where(
                    col(ConnectLink.link_id) == link_id,
                    col(ConnectLink.used_at).is_(None),
                    col(ConnectLink.expires_at) > now,
                )
                .values(state_hash=state_hash, verifier_enc=verifier_enc, started_at=now)
            )
            return bool(getattr(result, "rowcount", 0))

    def claim_connect_link(self, state_hash: str, *, now: datetime) -> bool:
        """Mark the link of `state_hash` used, if it is unused and unexpired (compare-and-set).

        Exactly one of any number of concurrent claims returns True.
        """
        with self.session() as session:
            result = session.execute(
                update(ConnectLink)
                .where(
                    col(ConnectLink.state_hash) == state_hash,
                    col(ConnectLink.used_at).is_(None),
                    col(ConnectLink.expires_at) > now,
                )
                .values(used_at=now)
            )
            return bool(getattr(result, "rowcount", 0))

    def release_connect_link(self, state_hash: str, *, claimed_at: datetime) -> None:
        """Undo a claim whose flow failed (the code exchange was refused), so the admin can
        start again; the flow's state is spent either way."""
        with self.session() as session:
            session.execute(
                update(ConnectLink)
                .where(
                    col(ConnectLink.state_hash) == state_hash,
                    col(ConnectLink.used_at) == claimed_at,
                )
                .values(used_at=None, state_hash=None, verifier_enc=None)
            )

    def finish_connect_link(self, state_hash: str) -> None:
        """Forget a used link's flow secrets (its verifier); the row stays as the record."""
        with self.session() as session:
            session.execute(
                update(ConnectLink)
                .where(col(ConnectLink.state_hash) == state_hash)
                .values(verifier_enc=None)
            )
