"""member removals for the change feed; access tokens reached only through store functions

`member_removals` is a tenant table like the others: FORCE ROW LEVEL SECURITY with the
`tenant_isolation` and `owner_access` policies, and the application's login granted the rows of
its own customer. It holds the CRM id of a member that left a list (or was forgotten), when,
and why; nothing personal. The retention pass prunes it after `CONNECTOR_CHANGE_LOG_DAYS`.

`access_tokens` is not a tenant table (a request is matched to its token before any customer
is known), so migration 0007 granted the application's login the whole table: it could read
every customer's token rows. On PostgreSQL that grant is revoked here, and the application
reaches tokens through four `SECURITY DEFINER` functions instead: read them (one by the hash
of its secret, or a listing, optionally of one customer, that never shows the hashes), issue
one (refused while a live token carries the name), revoke by name or id, and delete the
tokens of the customer the transaction is bound to (an erasure).

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
TOKENS = "access_tokens"
TOKEN_FUNCTIONS = {
    # the hash only to a caller that looks a token up by it (it already holds the secret)
    "connector_tokens(text, text)": """
CREATE FUNCTION connector_tokens(customer text DEFAULT NULL, digest text DEFAULT NULL)
RETURNS TABLE (
    token_id text, token_hash text, name text, role text, customer_id text, call_list text,
    created_at timestamptz, created_by text, expires_at timestamptz, revoked_at timestamptz,
    revoked_by text
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT t.token_id::text,
           CASE WHEN digest IS NULL THEN '' ELSE t.token_hash::text END,
           t.name::text, t.role::text, t.customer_id::text, t.call_list::text, t.created_at,
           t.created_by::text, t.expires_at, t.revoked_at, t.revoked_by::text
    FROM access_tokens AS t
    WHERE (customer IS NULL OR t.customer_id = customer)
      AND (digest IS NULL OR t.token_hash = digest)
    ORDER BY t.created_at DESC, t.token_id
$$
""",
    "connector_token_issue(text, text, text, text, text, text, timestamptz, text, timestamptz)": """
CREATE FUNCTION connector_token_issue(
    p_token_id text, p_token_hash text, p_name text, p_role text, p_customer_id text,
    p_call_list text, p_created_at timestamptz, p_created_by text, p_expires_at timestamptz
) RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT pg_advisory_xact_lock(hashtext('connector access token name'), hashtext(p_name));
    INSERT INTO access_tokens (token_id, token_hash, name, role, customer_id, call_list,
                               created_at, created_by, expires_at)
    SELECT p_token_id, p_token_hash, p_name, p_role, p_customer_id, p_call_list,
           p_created_at, p_created_by, p_expires_at
    WHERE NOT EXISTS (
        SELECT 1 FROM access_tokens AS t
        WHERE t.name = p_name AND t.revoked_at IS NULL AND t.expires_at > p_created_at
    )
    RETURNING true
$$
""",
    "connector_token_revoke(text, text, timestamptz)": """
CREATE FUNCTION connector_token_revoke(p_name_or_id text, p_revoked_by text, p_at timestamptz)
RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH revoked AS (
        UPDATE access_tokens AS t SET revoked_at = p_at, revoked_by = p_revoked_by
        WHERE (t.name = p_name_or_id OR t.token_id = p_name_or_id) AND t.revoked_at IS NULL
        RETURNING 1
    )
    SELECT count(*)::integer FROM revoked
$$
""",
    "connector_token_erase()": """
CREATE FUNCTION connector_token_erase() RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH erased AS (
        DELETE FROM access_tokens AS t
        WHERE t.customer_id = (SELECT connector_current_tenant())
        RETURNING 1
    )
    SELECT count(*)::integer FROM erased
$$
""",
}


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
    for signature, body in TOKEN_FUNCTIONS.items():
        op.execute(body)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        if app is not None:
            op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app}")
    if app is not None:
        op.execute(f"REVOKE ALL ON {TOKENS} FROM {app}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        app = _app_role()
        if app is not None:
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TOKENS} TO {app}")
        for signature in TOKEN_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index("ix_member_removals_order")
    op.drop_table(TABLE)
