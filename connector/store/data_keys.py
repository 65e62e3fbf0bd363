"""Store operations on the customer's wrapped data key (see `privacy.keys`).

The store keeps the key only as the key ring wrapped it and never decides when it dies:
`privacy.erase` does, by calling `destroy_data_key` before anything else is deleted.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import col

from connector.store.base import TenantStoreBase, insert_into
from connector.store.models import CustomerDataKey, utcnow


class DataKeysMixin(TenantStoreBase):
    """The customer's one wrapped data key: read, add once, re-wrap, destroy."""

    def wrapped_data_key(self) -> str | None:
        """The customer's wrapped data key, or None when it has none (never made, or destroyed)."""
        with self.session() as session:
            row = session.get(CustomerDataKey, self.customer_id)
            return row.data_key_enc if row is not None else None

    def add_wrapped_data_key(self, wrapped: str) -> str:
        """Store `wrapped` as the customer's data key unless one exists; returns the stored one.

        Two processes creating a key at once both end up with the one that was stored first.
        """
        now = utcnow()
        stmt = (
            insert_into(self.engine, CustomerDataKey.__table__)  # type: ignore[attr-defined]
            .values(
                customer_id=self.customer_id, data_key_enc=wrapped, created_at=now, updated_at=now
            )
            .on_conflict_do_nothing(index_elements=["customer_id"])
        )
        with self.session() as session:
            session.execute(stmt)
        stored = self.wrapped_data_key()
        assert stored is not None
        return stored

    def replace_wrapped_data_key(self, old: str, new: str) -> bool:
        """Swap the wrapped key `old` for `new` (key rotation); False if `old` is not current."""
        with self.session() as session:
            result = session.execute(
                update(CustomerDataKey)
                .where(col(CustomerDataKey.data_key_enc) == old)
                .values(data_key_enc=new, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return int(getattr(result, "rowcount", 0) or 0) == 1

    def destroy_data_key(self) -> bool:
        """Delete the customer's data key (committed at once); True if there was one."""
        with self.session() as session:
            result = session.execute(delete(CustomerDataKey))
            return int(getattr(result, "rowcount", 0) or 0) > 0
