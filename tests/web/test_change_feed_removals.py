"""The change feed reports members that left a call list or were forgotten, in change order,
and refuses a cursor older than the removal log (410)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.engine import Engine

from connector.errors import ConfigError
from connector.privacy.forget import forget_subject
from connector.privacy.subjects import parse_subject
from connector.store import TenantStore
from connector.store.models import Membership, Prospect, utcnow
from connector.store.pull_rows import PageOutcome
from connector.store.read_rows import ChangePosition
from connector.store.tokens import TokenStore
from connector.web import create_app
from connector.web.cursors import decode_change, encode_change
from connector.web.settings import WebSettings
from tests.helpers.key_ring import key_ring  # noqa: F401  (autouse)
from tests.helpers.pages import page_id as cid
from tests.helpers.pages import pull_page
from tests.web.read_api_builders import LIST_1, LIST_2, seed_lists, write_field_maps


def pull(store: TenantStore, ids: list[int], report_id: str = LIST_1) -> PageOutcome:
    return pull_page(store, report_id, ids)


@pytest.fixture
def acme(engine: Engine) -> TenantStore:
    store = seed_lists(engine, "acme")
    pull(store, [1, 2, 3, 4, 5])
    pull(store, [6, 7], report_id=LIST_2)
    seed_lists(engine, "globex")
    return store


@pytest.fixture
def client(engine: Engine, tmp_path: Path, acme: TenantStore) -> TestClient:
    maps = write_field_maps(tmp_path / "maps", "acme", "globex")
    settings = WebSettings(
        operator_token=SecretStr("bootstrap-operator-token-for-tests"),
        field_maps_dir=maps,
        change_feed_lag=0,
    )
    return TestClient(create_app(engine, web_settings=settings))


def token(engine: Engine, role: str = "platform", **kwargs: Any) -> dict[str, str]:
    plaintext = (
        TokenStore(engine)
        .issue(
            role=role,
            customer_id="acme",
            name=f"{role}-token",
            ttl=timedelta(hours=8),
            created_by="test",
            **kwargs,
        )
        .plaintext
    )
    return {"Authorization": f"Bearer {plaintext}"}


def url(report_id: str = LIST_1) -> str:
    return f"/api/customers/acme/call-lists/{report_id}/prospects"


def start(client: TestClient, headers: dict[str, str], report_id: str = LIST_1) -> str:
    """A full read of the list; returns the change cursor its last page hands out."""
    page = client.get(url(report_id), headers=headers, params={"limit": 1000}).json()
    assert page["next_cursor"] is None
    return str(page["since"])


def follow(
    client: TestClient, headers: dict[str, str], since: str, limit: int = 200, **kw: Any
) -> tuple[list[dict[str, Any]], str]:
    """Every change after `since`, page by page; returns them and the last `since`."""
    items: list[dict[str, Any]] = []
    while True:
        response = client.get(url(**kw), headers=headers, params={"since": since, "limit": limit})
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        since = page["since"]
        if not page["more"]:
            return items, since


def test_a_member_that_left_the_report_comes_as_a_removal(
    client: TestClient, engine: Engine, acme: TenantStore
) -> None:
    headers = token(engine)
    since = start(client, headers)

    pull(acme, [1, 3, 4, 5])

    items, since = follow(client, headers, since)
    assert items == [{"crm_id": cid(2), "removed": True}]
    assert follow(client, headers, since)[0] == []


def test_a_forgotten_member_comes_as_a_removal_carrying_nothing_but_the_crm_id(
    client: TestClient, engine: Engine, acme: TenantStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", "test-suppression-key-0123456789abcdef")
    headers = token(engine)
    since = start(client, headers)

    forget_subject(acme, parse_subject("email", "p3@example.com"), "test")

    response = client.get(url(), headers=headers, params={"since": since})
    assert response.json()["items"] == [{"crm_id": cid(3), "removed": True}]
    assert "p3@example.com" not in response.text and "Last3" not in response.text


def test_a_call_list_that_left_the_folder_reports_every_member_removed(
    client: TestClient, engine: Engine, acme: TenantStore
) -> None:
    headers = token(engine)
    since = start(client, headers, LIST_2)

    acme.retire_call_lists(keep={LIST_1})

    items, _ = follow(client, headers, since, report_id=LIST_2)
    assert items == [{"crm_id": cid(n), "removed": True} for n in (6, 7)]


def test_a_member_removed_then_added_again_comes_once_as_its_latest_state(
    client: TestClient, engine: Engine, acme: TenantStore
) -> None:
    headers = token(engine)
    since = start(client, headers)

    pull(acme, [1, 3, 4, 5])
    pull(acme, [1, 2, 3, 4, 5])

    items, _ = follow(client, headers, since)
    assert [item["crm_id"] for item in items] == [cid(2)]
    assert items[0]["last_name"] == "Last2" and "removed" not in items[0]


def test_paging_across_changes_and_removals_serves_each_once_in_one_order(
    client: TestClient, engine: Engine, acme: TenantStore
) -> None:
    headers = token(engine)
    since = start(client, headers)

    pull(acme, [4, 5, 10, 11, 12])  # 1-3 leave, 10-12 join: all at the same moment
    first, since = follow(client, headers, since, limit=2)
    pull(acme, [4, 5, 11, 12])  # then 10 leaves
    later, _ = follow(client, headers, since, limit=2)

    assert [(i["crm_id"], "removed" in i) for i in first] == [
        (cid(1), True),
        (cid(2), True),
        (cid(3), True),
        (cid(10), False),
        (cid(11), False),
        (cid(12), False),
    ]
    assert later == [{"crm_id": cid(10), "removed": True}]


def test_a_call_handler_bound_to_one_list_sees_only_that_lists_removals(
    client: TestClient, engine: Engine, acme: TenantStore
) -> None:
    headers = token(engine, "call-handler", call_list=LIST_1)
    since = start(client, headers)

    pull(acme, [7], report_id=LIST_2)  # 6 leaves the other list
    pull(acme, [2, 3, 4, 5])  # 1 leaves this one

    assert follow(client, headers, since)[0] == [{"crm_id": cid(1), "removed": True}]
    other = client.get(url(LIST_2), headers=headers, params={"since": since})
    assert other.status_code == 403


def test_a_cursor_older_than_the_change_log_is_refused_with_410(
    engine: Engine, tmp_path: Path, acme: TenantStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_CHANGE_LOG_DAYS", "5")
    maps = write_field_maps(tmp_path / "maps", "acme")
    client = TestClient(
        create_app(engine, web_settings=WebSettings(field_maps_dir=maps, change_feed_lag=0))
    )
    headers = token(engine)
    stale = encode_change(ChangePosition(utcnow() - timedelta(days=6), ""))
    fresh = encode_change(ChangePosition(utcnow() - timedelta(days=4), ""))

    refused = client.get(url(), headers=headers, params={"since": stale})
    assert refused.status_code == 410
    assert refused.headers["content-type"] == "application/problem+json"
    assert "reread the list from the start" in refused.json()["detail"]
    assert client.get(url(), headers=headers, params={"since": fresh}).status_code == 200


def test_an_idle_cursor_is_renewed_before_it_grows_stale(
    client: TestClient, engine: Engine, acme: TenantStore
) -> None:
    headers = token(engine)
    month_ago = utcnow() - timedelta(days=30)
    with acme.session() as session:  # nothing changed in the last 30 days
        session.execute(update(Prospect).values(updated_at=month_ago))
        session.execute(update(Membership).values(added_at=month_ago))
    old = ChangePosition(utcnow() - timedelta(days=20), "")

    page = client.get(url(), headers=headers, params={"since": encode_change(old)}).json()

    assert page["items"] == []
    assert decode_change(page["since"]).at > utcnow() - timedelta(minutes=5)


def test_a_bad_change_log_setting_stops_the_app_at_start_up(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_CHANGE_LOG_DAYS", "0")
    with pytest.raises(ConfigError, match="CONNECTOR_CHANGE_LOG_DAYS"):
        create_app(engine, web_settings=WebSettings())


def test_removals_are_documented_in_the_openapi_schema(client: TestClient) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    schemas = spec["components"]["schemas"]
    assert schemas["RemovalOut"]["example"] == {"crm_id": "003000000000002AAA", "removed": True}
    items = schemas["ProspectPage"]["properties"]["items"]["items"]["anyOf"]
    assert {"$ref": "#/components/schemas/RemovalOut"} in items
    route = spec["paths"]["/api/customers/{customer}/call-lists/{call_list}/prospects"]["get"]
    assert "410" in route["responses"]
