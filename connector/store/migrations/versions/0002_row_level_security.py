"""row-level security as a wall: forced policies, a keyed tenant binding, an unprivileged app role

Revision ID: 0002_row_level_security
Revises: 0001
Create Date: 2026-12-03

PostgreSQL only (SQLite has no roles; there the store's sessions are the wall). Run as the
role that owns the schema. `connector db upgrade` passes the application's login role as the
`app_role` attribute; it receives exactly the privileges the application needs and owns
nothing. See `connector/store/rls.py` for how the binding works.
"""

from __future__ import annotations

from alembic import context, op

revision = "0002_row_level_security"
down_revision = "0001"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "customers",
    "connections",
    "call_lists",
    "prospects",
    "memberships",
    "sync_runs",
    "checkpoints",
    "rejected_rows",
    "activities",
    "audit_events",
    "suppressions",
    "leases",
    "resync_requests",
    "schedule_state",
)
#: Tables under the policy: the tenant tables and the erasure records (one per customer).
POLICED_TABLES = (*TENANT_TABLES, "erasures")
CURRENT_TENANT = """
CREATE FUNCTION connector_current_tenant() RETURNS text AS $$
    SELECT current_setting('connector.customer_id', true)
    FROM connector_tenant_key AS k
    WHERE k.id = 1
      AND current_setting('connector.tenant_tag', true) = encode(
          sha256(k.opad || sha256(k.ipad || convert_to(
              current_setting('connector.customer_id', true) || ':' || pg_backend_pid()
              || ':' || (extract(epoch FROM transaction_timestamp()) * 1000000)::bigint,
              'UTF8'))),
          'hex')
$$
"""

CUSTOMER_IDS = """
CREATE FUNCTION connector_customer_ids() RETURNS SETOF text AS $$
    SELECT c.customer_id::text FROM customers AS c ORDER BY 1
$$
"""

CONNECTED_CUSTOMER_IDS = """
CREATE FUNCTION connector_connected_customer_ids() RETURNS SETOF text AS $$
    SELECT c.customer_id::text FROM connections AS c ORDER BY 1
$$
"""

SCHEDULED_CUSTOMERS = """
CREATE FUNCTION connector_scheduled_customers() RETURNS TABLE (
    customer_id text,
    status text,
    next_due_at timestamptz,
    last_run_at timestamptz,
    consecutive_failures integer,
    pending_resyncs bigint
) AS $$
    SELECT c.customer_id::text, cu.status::text, s.next_due_at, s.last_run_at,
           s.consecutive_failures, p.n
    FROM connections AS c
    LEFT JOIN customers AS cu ON cu.customer_id = c.customer_id
    LEFT JOIN schedule_state AS s ON s.customer_id = c.customer_id
    LEFT JOIN (
        SELECT r.customer_id, count(*) AS n FROM resync_requests AS r
        WHERE r.status = 'pending' GROUP BY r.customer_id
    ) AS p ON p.customer_id = c.customer_id
    ORDER BY c.customer_id
$$
"""

#: Every function runs as its owner with a fixed search path, reads, and changes nothing.
DEFINER = " LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$"

ERASURES = """
CREATE FUNCTION connector_erasures() RETURNS SETOF erasures AS $$
    SELECT e.* FROM erasures AS e ORDER BY e.due_at, e.customer_id
$$
"""

FUNCTIONS = {
    "connector_current_tenant()": CURRENT_TENANT,
    "connector_customer_ids()": CUSTOMER_IDS,
    "connector_connected_customer_ids()": CONNECTED_CUSTOMER_IDS,
    "connector_scheduled_customers()": SCHEDULED_CUSTOMERS,
    "connector_erasures()": ERASURES,
}


def _app_role() -> str | None:
    """The application's login role, quoted, as `connector db upgrade` names it."""
    name = context.config.attributes.get("app_role") if context.config else None
    if not name:
        return None
    return str(op.get_bind().dialect.identifier_preparer.quote(name))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # earlier versions installed a policy and granted a shared role at every start-up
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    tables = ", ".join(TENANT_TABLES)
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'connector_tenant') "  # noqa: S608
        f"THEN REVOKE ALL ON {tables} FROM connector_tenant; END IF; END $$"
    )
    op.execute(
        "CREATE TABLE connector_tenant_key ("
        "id integer PRIMARY KEY CHECK (id = 1), ipad bytea NOT NULL, opad bytea NOT NULL)"
    )
    op.execute("REVOKE ALL ON connector_tenant_key FROM PUBLIC")
    for signature, body in FUNCTIONS.items():
        op.execute(body.replace(" AS $$", DEFINER, 1))
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    for table in POLICED_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (customer_id = (SELECT connector_current_tenant())) "
            "WITH CHECK (customer_id = (SELECT connector_current_tenant()))"
        )
        # the owner (migrations, the SECURITY DEFINER functions) sees every row
        op.execute(
            f"CREATE POLICY owner_access ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)"
        )
    app = _app_role()
    if app is None:
        return
    op.execute(f"GRANT USAGE ON SCHEMA public TO {app}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(TENANT_TABLES)} TO {app}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON erasures TO {app}")
    op.execute(f"GRANT SELECT ON alembic_version TO {app}")
    for signature in FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    app = _app_role()
    if app is not None:
        op.execute(f"REVOKE ALL ON {', '.join(TENANT_TABLES)}, erasures FROM {app}")
        op.execute(f"REVOKE ALL ON alembic_version FROM {app}")
    for table in POLICED_TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"DROP POLICY IF EXISTS owner_access ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute("DROP TABLE IF EXISTS connector_tenant_key")
