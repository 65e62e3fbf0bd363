"""resync requests coalesce: at most one pending request per customer

On PostgreSQL the scheduler's cross-customer read (`connector_scheduled_customers`) also
returns when each customer's last resync ran and how many ran in the last day, so the
scheduler can ration resyncs asked for by the CRM.

Revision ID: 0005_safe_defaults
Revises: 0002_row_level_security
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0005_safe_defaults"
down_revision = "0002_row_level_security"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")

SCHEDULED_CUSTOMERS = """
CREATE FUNCTION connector_scheduled_customers(since timestamptz) RETURNS TABLE (
    customer_id text,
    status text,
    next_due_at timestamptz,
    last_run_at timestamptz,
    consecutive_failures integer,
    pending_resyncs bigint,
    last_resync_at timestamptz,
    resyncs_last_day bigint
) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT c.customer_id::text, cu.status::text, s.next_due_at, s.last_run_at,
           s.consecutive_failures, r.pending, r.last, r.day
    FROM connections AS c
    LEFT JOIN customers AS cu ON cu.customer_id = c.customer_id
    LEFT JOIN schedule_state AS s ON s.customer_id = c.customer_id
    LEFT JOIN (
        SELECT q.customer_id,
               sum(CASE WHEN q.status = 'pending' THEN 1 ELSE 0 END) AS pending,
               max(q.handled_at) AS last,
               sum(CASE WHEN q.status = 'done' AND q.handled_at >= since THEN 1 ELSE 0 END)
                   AS day
        FROM resync_requests AS q GROUP BY q.customer_id
    ) AS r ON r.customer_id = c.customer_id
    ORDER BY c.customer_id
$$
"""


def _app_role() -> str | None:
    """The application's login role, quoted, as `connector db upgrade` names it."""
    name = context.config.attributes.get("app_role") if context.config else None
    if not name:
        return None
    return str(op.get_bind().dialect.identifier_preparer.quote(name))


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
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS connector_scheduled_customers()")
    op.execute(SCHEDULED_CUSTOMERS)
    op.execute("REVOKE ALL ON FUNCTION connector_scheduled_customers(timestamptz) FROM PUBLIC")
    app = _app_role()
    if app is not None:
        op.execute(f"GRANT EXECUTE ON FUNCTION connector_scheduled_customers(timestamptz) TO {app}")


def downgrade() -> None:
    op.drop_index("uq_resync_requests_one_pending", table_name="resync_requests")
