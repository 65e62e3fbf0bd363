"""an index in the CRM's id order for the pull's per-page membership ranges (PostgreSQL)

Each page of a pull reconciles the call list over the id range it covers, comparing ids with
COLLATE "C" (Salesforce's binary order). The primary key's index is in the database's default
collation, so PostgreSQL cannot use it for that range and scans every member of the report
at every page: quadratic in the report's size. This index is in the order the query asks for.
SQLite compares ids in binary order already and needs nothing.

Revision ID: 0008_id_order_index
Revises: 0003_activity_version
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0008_id_order_index"
down_revision = "0003_activity_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_memberships_id_order "
            'ON memberships (customer_id, report_id, (crm_id COLLATE "C"))'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_memberships_id_order")
