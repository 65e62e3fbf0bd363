"""operator figures: report-run counters on runs, the column-check clock, fleet reads

Each run records the org's hourly synchronous report-run counters as last read from
`/limits`; the schedule state records when the daily online column check last ran and how many
problems it found. On PostgreSQL
three cross-customer functions give the fleet's figures in a fixed number of statements
(counts, codes and times only, never personal data).

Revision ID: 0013_ops_figures
Revises: 0010_connect_links
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

revision = "0013_ops_figures"
down_revision = "0010_connect_links"
branch_labels = None
depends_on = None

FUNCTIONS = {
    "connector_ops_customers()": """
CREATE FUNCTION connector_ops_customers() RETURNS TABLE (
    customer_id text, status text, status_reason text, connected boolean,
    next_due_at timestamptz, consecutive_failures integer, pending_resyncs bigint,
    activities_pending bigint, activities_failed bigint, paused_by text, paused_at timestamptz,
    column_check_at timestamptz, column_problems integer
) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT k.customer_id::text, cu.status::text, cu.status_reason::text,
           EXISTS (SELECT 1 FROM connections AS cn WHERE cn.customer_id = k.customer_id),
           s.next_due_at, s.consecutive_failures,
           (SELECT count(*) FROM resync_requests AS q
             WHERE q.customer_id = k.customer_id AND q.status = 'pending'),
           (SELECT count(*) FROM activities AS a
             WHERE a.customer_id = k.customer_id AND a.push_status = 'pending'),
           (SELECT count(*) FROM activities AS a
             WHERE a.customer_id = k.customer_id AND a.push_status = 'failed'),
           p.actor::text, p.at, s.column_check_at, s.column_problems
    FROM (SELECT customer_id FROM customers UNION SELECT customer_id FROM connections) AS k
    LEFT JOIN customers AS cu ON cu.customer_id = k.customer_id
    LEFT JOIN schedule_state AS s ON s.customer_id = k.customer_id
    LEFT JOIN (
        SELECT e.customer_id, e.actor, e.at,
               row_number() OVER (PARTITION BY e.customer_id ORDER BY e.at DESC) AS n
        FROM audit_events AS e WHERE e.action = 'pause'
    ) AS p ON p.customer_id = k.customer_id AND p.n = 1
    ORDER BY 1
$$
""",
    "connector_ops_runs(integer)": """
CREATE FUNCTION connector_ops_runs(per_customer integer) RETURNS TABLE (
    customer_id text, run_id text, kind text, trigger text, status text,
    started_at timestamptz, finished_at timestamptz, rows_read integer,
    prospects_written integer, rejected integer, activities_pushed integer,
    activities_failed integer, api_calls integer, api_used integer, api_limit integer,
    report_runs_remaining integer, report_runs_max integer, error_code text
) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT r.customer_id::text, r.run_id::text, r.kind::text, r.trigger::text, r.status::text,
           r.started_at, r.finished_at, r.rows_read, r.prospects_written, r.rejected,
           r.activities_pushed, r.activities_failed, r.api_calls, r.api_used, r.api_limit,
           r.report_runs_remaining, r.report_runs_max, r.error_code::text
    FROM (
        SELECT x.*, row_number() OVER (
            PARTITION BY x.customer_id ORDER BY x.started_at DESC, x.run_id DESC) AS n
        FROM sync_runs AS x
    ) AS r
    WHERE r.n <= per_customer
    ORDER BY r.customer_id, r.started_at DESC, r.run_id DESC
$$
""",
    "connector_ops_run_counts()": """
CREATE FUNCTION connector_ops_run_counts() RETURNS TABLE (
    customer_id text, kind text, status text, runs bigint, last_finished_at timestamptz
) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT r.customer_id::text, r.kind::text, r.status::text, count(*), max(r.finished_at)
    FROM sync_runs AS r
    GROUP BY r.customer_id, r.kind, r.status
    ORDER BY 1, 2, 3
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
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_runs_remaining", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("report_runs_max", sa.Integer(), nullable=True))
    with op.batch_alter_table("schedule_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("column_check_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("column_problems", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return
    app = _app_role()
    for signature, body in FUNCTIONS.items():
        op.execute(body)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        if app is not None:
            op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for signature in FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    with op.batch_alter_table("schedule_state", schema=None) as batch_op:
        batch_op.drop_column("column_problems")
        batch_op.drop_column("column_check_at")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("report_runs_max")
        batch_op.drop_column("report_runs_remaining")
