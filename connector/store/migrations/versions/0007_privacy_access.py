"""scoped access tokens

Revision ID: 0007_privacy_access
Revises: 0008_id_order_index
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

revision = "0007_privacy_access"
down_revision = "0008_id_order_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # access_tokens is not a tenant table (a token is looked up by its hash before any
    # customer is known), so it gets no row-level-security policy
    op.create_table(
        "access_tokens",
        sa.Column("token_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("call_list", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("token_id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_access_tokens_name", ["name"], unique=False)
        batch_op.create_index("ix_access_tokens_customer_id", ["customer_id"], unique=False)
    app = context.config.attributes.get("app_role") if context.config else None
    if app and op.get_bind().dialect.name == "postgresql":
        role = op.get_bind().dialect.identifier_preparer.quote(app)
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON access_tokens TO {role}")


def downgrade() -> None:
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_access_tokens_customer_id")
        batch_op.drop_index("ix_access_tokens_name")
    op.drop_table("access_tokens")
