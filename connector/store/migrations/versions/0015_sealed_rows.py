"""sealed rows: a prospect's fields in one encrypted value

`prospects.sealed` holds all of a pulled prospect's fields as one AES-256-GCM value (`enc2:`,
see `connector.privacy.field_crypto`); the per-field columns of such a row stay NULL. Rows
written before hold their fields one per column (`enc1:` values or plaintext) and still read;
the next pull rewrites them. Row-level security and grants are per table: nothing else changes.

Revision ID: 0015_sealed_rows
Revises: 0014_member_removals
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015_sealed_rows"
down_revision = "0014_member_removals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("prospects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("prospects", schema=None) as batch_op:
        batch_op.drop_column("sealed")
