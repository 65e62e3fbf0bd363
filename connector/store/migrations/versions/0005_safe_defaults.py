"""resync requests coalesce: at most one pending request per customer

Revision ID: 0005_safe_defaults
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_safe_defaults"
down_revision = "0001"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    # Keep the oldest pending request of each customer; the others were covered by it.
    op.execute(
        """
        UPDATE resync_requests SET status = 'coalesced'
        WHERE status = 'pending' AND EXISTS (
            SELECT 1 FROM resync_requests AS older
            WHERE older.customer_id = resync_requests.customer_id
              AND older.status = 'pending'
              AND (older.requested_at < resync_requests.requested_at
                   OR (older.requested_at = resync_requests.requested_at
                       AND older.request_id < resync_requests.request_id))
        )
        """
    )
    op.create_index(
        "uq_resync_requests_one_pending",
        "resync_requests",
        ["customer_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("uq_resync_requests_one_pending", table_name="resync_requests")
