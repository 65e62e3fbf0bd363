"""Each page's reads and writes on PostgreSQL are planned alike with or without statistics.

Autovacuum may be off, so `memberships` may never have been analysed; a plan that then reads
the customer's whole call list at every page makes a pull quadratic in the report.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from connector.store import page_sql
from tests.helpers.stores import owner_of

REPORT = "00O000000000001AAA"


def ids(first: int, last: int) -> list[str]:
    return [f"{n:018d}" for n in range(first, last + 1)]


def plan_of(engine: Engine, sql: str, params: list[object]) -> str:
    with owner_of(engine).connect() as conn:
        cursor = conn.connection.cursor()
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.parametrize("analysed", [False, True], ids=["never-analysed", "analysed"])
def test_a_pages_range_read_and_removal_use_indexes_whatever_the_statistics(
    postgres_engine: Engine, analysed: bool
) -> None:
    with owner_of(postgres_engine).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO memberships (customer_id, report_id, crm_id, added_at) "
                "SELECT 'acme', :report, lpad(g::text, 18, '0'), now() "
                "FROM generate_series(1, 50000) AS g"
            ),
            {"report": REPORT},
        )
        if analysed:
            conn.execute(text("ANALYZE memberships"))
    sql, bounds = page_sql.members_in_range("postgresql", f"{20000:018d}", f"{22000:018d}")
    read = plan_of(postgres_engine, sql, ["acme", REPORT, *bounds])
    assert "ix_memberships_id_order" in read, read
    removal = plan_of(
        postgres_engine,
        page_sql._POSTGRES_REMOVE_MEMBERS,
        ["acme", REPORT, ids(20001, 20010), datetime.now(UTC)],
    )
    assert "Seq Scan" not in read + removal, read + removal
