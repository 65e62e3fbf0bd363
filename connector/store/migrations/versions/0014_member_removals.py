"""member removals: the change feed's log of members that left a call list

A tenant table like the others: FORCE ROW LEVEL SECURITY with the `tenant_isolation` and
`owner_access` policies, and the application's login granted the rows of its own customer.
It holds the CRM id of a member that left a list (or was forgotten), when, and why; nothing
personal. The retention pass prunes it after `CONNECTOR_CHANGE_LOG_DAYS`.

Revision ID: 0014_member_removals
Revises: 0013_ops_figures
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

revision = "0014_member_removals"
down_revision = "0013_ops_figures"
branch_labels = None
depends_on = None

TABLE = "member_removals"


def _app_role() -> str | None:
    """The application's login role, quoted, as `connector db upgrade` names it."""
    name = context.config.attributes.get("app_role") if context.config else None
    if not name:
        return None
    return str(op.get_bind().dialect.identifier_preparer.quote(name))


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("report_id", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("crm_id", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "report_id", "crm_id"),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_removals_order", ["customer_id", "report_id", "removed_at"], unique=False
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {TABLE} "
        "USING (customer_id = (SELECT connector_current_tenant())) "
        "WITH CHECK (customer_id = (SELECT connector_current_tenant()))"
    )
    op.execute(
        f"CREATE POLICY owner_access ON {TABLE} TO CURRENT_USER USING (true) WITH CHECK (true)"
    )
    app = _app_role()
    if app is not None:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {app}")


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index("ix_member_removals_order")
    op.drop_table(TABLE)
