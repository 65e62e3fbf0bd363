"""per-customer data keys (wrapped by the key ring) for field encryption

Tenant table like the others: FORCE ROW LEVEL SECURITY with the `tenant_isolation` and
`owner_access` policies, and the application's login granted the rows of its own customer.

Revision ID: 0009_customer_data_keys
Revises: 0007_privacy_access
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

revision = "0009_customer_data_keys"
down_revision = "0007_privacy_access"
branch_labels = None
depends_on = None

TABLE = "customer_data_keys"


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
        sa.Column("data_key_enc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
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
    op.drop_table(TABLE)
