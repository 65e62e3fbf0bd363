"""PostgreSQL row-level security: a second wall between customers.

Tenant transactions run as the role `connector_tenant` with the setting
`connector.customer_id` fixed for the transaction; every tenant table has a policy that shows
and accepts only rows of that customer. A raw SQL query made inside a tenant transaction
therefore cannot see or write another customer's rows, whatever it says.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from connector.store.models import TENANT_TABLES

TENANT_ROLE = "connector_tenant"
CUSTOMER_SETTING = "connector.customer_id"


def install_row_level_security(engine: Engine) -> None:
    """Create the tenant role and one isolation policy per tenant table (idempotent)."""
    predicate = f"customer_id = current_setting('{CUSTOMER_SETTING}', true)"
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(724311)"))
        conn.execute(
            text(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "  # noqa: S608
                f"'{TENANT_ROLE}') THEN CREATE ROLE {TENANT_ROLE} NOLOGIN; END IF; END $$"
            )
        )
        conn.execute(text(f"GRANT {TENANT_ROLE} TO CURRENT_USER"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {TENANT_ROLE}"))
        for table in TENANT_TABLES:
            name = table.__tablename__
            conn.execute(text(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY"))
            # not FORCEd: the owning role (migrations, erasure, the scheduler's customer list)
            # keeps its view of every row; tenant transactions never run as the owner
            conn.execute(text(f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY"))
            conn.execute(text(f"DROP POLICY IF EXISTS tenant_isolation ON {name}"))
            conn.execute(
                text(
                    f"CREATE POLICY tenant_isolation ON {name} "
                    f"USING ({predicate}) WITH CHECK ({predicate})"
                )
            )
            conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {TENANT_ROLE}"))


def enter_tenant(conn: Connection, customer_id: str) -> None:
    """Fix the customer for the current transaction and drop to the tenant role."""
    conn.execute(
        text("SELECT set_config(:name, :value, true)"),
        {"name": CUSTOMER_SETTING, "value": customer_id},
    )
    conn.execute(text(f"SET LOCAL ROLE {TENANT_ROLE}"))
