"""The read API pages a 100,000-member call list with memory that does not grow with it."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connector.web import create_app
from connector.web.settings import WebSettings
from tests.web.read_api_builders import LIST_1, add_members, person, seed_lists, write_field_maps

ROWS = 100_000
PAGE = 1000
TOKEN = "bootstrap-operator-token-for-tests"


# tracemalloc slows every allocation several times over; on a loaded two-core machine the
# hundred traced requests took longer than the suite's default 300 s, and pytest-timeout's
# failure, raised inside a gc callback, was swallowed and its frames counted as retained memory.
@pytest.mark.timeout(1800)
def test_paging_100k_members_keeps_memory_flat(sqlite_engine: Engine, tmp_path: Path) -> None:
    store = seed_lists(sqlite_engine, "acme", [LIST_1])
    add_members(store, LIST_1, [person(n) for n in range(ROWS)], chunk=5000)
    # a hundred pages in well under a minute: room above the default per-customer rate limit
    settings = WebSettings(
        operator_token=SecretStr(TOKEN),
        field_maps_dir=write_field_maps(tmp_path / "m", "acme"),
        rate_limit_client="1000/minute",
        rate_limit_customer="1000/minute",
    )
    client = TestClient(create_app(sqlite_engine, web_settings=settings))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = f"/api/customers/acme/call-lists/{LIST_1}/prospects"

    # the reference: what holding 10% of the list at once costs
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tenth = store.prospects(limit=ROWS // 10)
        tenth_cost = tracemalloc.get_traced_memory()[0] - base
        del tenth
        gc.collect()

        params: dict[str, object] = {"limit": PAGE}
        seen = 0
        retained: dict[int, int] = {}
        peaks: dict[int, int] = {}
        page_no = 0
        while True:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            page = client.get(url, headers=headers, params=params).json()
            peaks[page_no] = tracemalloc.get_traced_memory()[1] - before
            seen += len(page["items"])
            if page["next_cursor"] is None:
                break
            params = {"limit": PAGE, "cursor": page["next_cursor"]}
            del page
            gc.collect()
            retained[page_no] = tracemalloc.get_traced_memory()[0]
            page_no += 1
    finally:
        tracemalloc.stop()

    assert seen == ROWS
    print(
        f"10% held: {tenth_cost} B; retained 10->90: {retained[90] - retained[10]} B; "
        f"peak per page: first {peaks[5]} B, late {peaks[90]} B, max {max(peaks.values())} B"
    )
    # nothing accumulates: what stays allocated after page 10 and after page 90 is the same
    growth = retained[90] - retained[10]
    assert growth < tenth_cost / 20, (growth, tenth_cost)
    # one request costs about one page, at the end of the list as at its start
    assert max(peaks.values()) < tenth_cost, (max(peaks.values()), tenth_cost)
    assert peaks[90] < 2 * peaks[5] + 1_000_000, (peaks[5], peaks[90])
