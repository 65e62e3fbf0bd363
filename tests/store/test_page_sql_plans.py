"""Each page's reads and writes on PostgreSQL are planned alike with or without statistics.

Autovacuum may be off, so `memberships` may never have been analysed; a plan that then reads
the customer's whole call list at every page makes a pull quadratic in the report.
"""

from __future__ import annotations

import re
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
def test_a_pages_range_read_uses_the_id_order_index_whatever_the_statistics(
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
    assert "Seq Scan" not in read, read


def without_arrays(plan: str) -> str:
    """`plan` with its id arrays left out (thousands of ids make a failure unreadable)."""
    return re.sub(r"'\{[^}]*\}'", "'{...}'", plan)


@pytest.mark.postgres
@pytest.mark.parametrize("analysed", [False, True], ids=["never-analysed", "analysed"])
@pytest.mark.parametrize("gone", [10, 2_000, 20_000])
def test_removing_many_members_of_a_shrunk_list_finds_them_by_key_or_range(
    postgres_engine: Engine, analysed: bool, gone: int
) -> None:
    # a call list of 50,000 that lost up to 20,000 rows (a page's range may hold every row
    # that left it), in a table that holds other customers' lists as well: the removal must
    # find the rows by their ids or the page's range, not read the customer's whole list
    # (let alone the table) at every page
    with owner_of(postgres_engine).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO memberships (customer_id, report_id, crm_id, added_at) "
                "SELECT customer, :report, lpad(g::text, 18, '0'), now() "
                "FROM (VALUES ('acme', 50000), ('beta', 150000)) AS c(customer, size), "
                "generate_series(1, size) AS g"
            ),
            {"report": REPORT},
        )
        if analysed:
            conn.execute(text("ANALYZE memberships"))
    removed = ids(30001, 30000 + gone)
    sql, bounds = page_sql.members_removal(f"{30000:018d}", removed[-1])
    removal = without_arrays(
        plan_of(postgres_engine, sql, ["acme", REPORT, *bounds, removed, datetime.now(UTC)])
    )
    assert "Seq Scan" not in removal, removal
    conditions = [line for line in removal.splitlines() if "Index Cond" in line]
    assert conditions, removal
    assert all("crm_id" in line for line in conditions), removal
    # the statement names the page's range, both ends (the arrays are left out of `removal`)
    assert f"'{30000:018d}'" in removal and f"'{removed[-1]}'" in removal, removal
