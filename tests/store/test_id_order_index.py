"""The pull's per-page membership range can use an index on PostgreSQL (no scan of the report)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.helpers.stores import owner_of


@pytest.mark.postgres
def test_the_page_range_of_memberships_is_read_through_the_id_order_index(
    postgres_engine: Engine,
) -> None:
    with owner_of(postgres_engine).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO memberships (customer_id, report_id, crm_id, added_at) "
                "SELECT 'acme', '00O000000000001AAA', lpad(g::text, 18, '0'), now() "
                "FROM generate_series(1, 20000) AS g"
            )
        )
        conn.execute(text("ANALYZE memberships"))
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                text(
                    "EXPLAIN SELECT crm_id FROM memberships WHERE customer_id = 'acme' "
                    "AND report_id = '00O000000000001AAA' "
                    "AND crm_id COLLATE \"C\" > '000000000000010000' "
                    "AND crm_id COLLATE \"C\" <= '000000000000012000'"
                )
            )
        )
    assert "ix_memberships_id_order" in plan, plan
    assert "Seq Scan" not in plan, plan
