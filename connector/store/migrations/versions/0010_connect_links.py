"""one-time connect links for a customer's Salesforce admin

A link is found by the hash of its token (or of the OAuth state of the flow it started)
before any customer is known. On PostgreSQL the table is under row-level security like every
tenant table, so that first look-up goes through `connector_connect_link_customer`, a
`SECURITY DEFINER` function that returns only the customer id of the link with that hash;
everything else runs in a transaction bound to that customer.

Revision ID: 0010_connect_links
Revises: 0009_customer_data_keys
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

revision = "0010_connect_links"
down_revision = "0009_customer_data_keys"
branch_labels = None
depends_on = None

TABLE = "connect_links"
FUNCTION = "connector_connect_link_customer(text)"
LINK_CUSTOMER = """
CREATE FUNCTION connector_connect_link_customer(digest text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT l.customer_id::text FROM connect_links AS l
    WHERE l.token_hash = digest OR l.state_hash = digest
    LIMIT 1
$$
"""


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
        sa.Column("link_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("state_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("verifier_enc", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("login_url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ca_bundle", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("customer_id", "link_id"),
        sa.UniqueConstraint("state_hash"),
        sa.UniqueConstraint("token_hash"),
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
    # the owner (migrations, the SECURITY DEFINER function) sees every row
    op.execute(
        f"CREATE POLICY owner_access ON {TABLE} TO CURRENT_USER USING (true) WITH CHECK (true)"
    )
    op.execute(LINK_CUSTOMER)
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    app = _app_role()
    if app is not None:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {app}")
        op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO {app}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}")
    op.drop_table(TABLE)
