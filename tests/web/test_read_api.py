"""The platform's read API: scope, paging, the change feed, and what a response may carry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from connector.config import get_settings
from connector.privacy.forget import forget_subject
from connector.privacy.subjects import parse_subject
from connector.store import TenantStore
from connector.store.models import utcnow
from connector.store.tokens import TokenStore
from connector.web import create_app
from connector.web.settings import WebSettings
from tests.web.read_api_builders import (
    LIST_1,
    LIST_2,
    MAPPED,
    add_members,
    crm_id,
    person,
    seed_lists,
    write_field_maps,
)

BOOTSTRAP = "bootstrap-operator-token-for-tests"


@pytest.fixture
def maps(tmp_path: Path) -> Path:
    return write_field_maps(tmp_path / "maps", "acme", "globex")


@pytest.fixture
def acme(sqlite_engine: Engine) -> TenantStore:
    store = seed_lists(sqlite_engine, "acme")
    add_members(store, LIST_1, [person(n) for n in range(1, 6)])
    add_members(store, LIST_2, [person(n) for n in range(6, 9)])
    seed_lists(sqlite_engine, "globex")
    return store


def make_client(engine: Engine, maps: Path, lag: int = 0) -> TestClient:
    settings = WebSettings(
        operator_token=SecretStr(BOOTSTRAP), field_maps_dir=maps, change_feed_lag=lag
    )
    return TestClient(create_app(engine, web_settings=settings))


@pytest.fixture
def client(sqlite_engine: Engine, maps: Path, acme: TenantStore) -> TestClient:
    return make_client(sqlite_engine, maps)


def token(engine: Engine, role: str, customer: str = "acme", **kwargs: object) -> dict[str, str]:
    options: dict = {"name": f"{role}-token", "ttl": timedelta(hours=8), "created_by": "test"}
    options.update(kwargs)
    plaintext = TokenStore(engine).issue(role=role, customer_id=customer, **options).plaintext
    return {"Authorization": f"Bearer {plaintext}"}


def prospects_url(customer: str = "acme", report_id: str = LIST_1) -> str:
    return f"/api/customers/{customer}/call-lists/{report_id}/prospects"


# scope ----------------------------------------------------------------------------------


def test_given_a_call_handler_token_for_a_list_then_other_customers_and_lists_are_403(
    client: TestClient, sqlite_engine: Engine
) -> None:
    headers = token(sqlite_engine, "call-handler", call_list=LIST_1)
    assert client.get(prospects_url(), headers=headers).status_code == 200
    assert client.get(prospects_url(report_id=LIST_2), headers=headers).status_code == 403
    assert client.get(prospects_url("globex"), headers=headers).status_code == 403
    assert client.get("/api/customers/globex/call-lists", headers=headers).status_code == 403
    listed = client.get("/api/customers/acme/call-lists", headers=headers).json()
    assert [c["id"] for c in listed["call_lists"]] == [LIST_1]


def test_given_a_call_handler_token_for_a_list_then_a_prospect_of_another_list_is_404(
    client: TestClient, sqlite_engine: Engine
) -> None:
    headers = token(sqlite_engine, "call-handler", call_list=LIST_1)
    assert (
        client.get(f"/api/customers/acme/prospects/{crm_id(1)}", headers=headers).status_code == 200
    )
    assert (
        client.get(f"/api/customers/acme/prospects/{crm_id(6)}", headers=headers).status_code == 404
    )


def test_given_a_call_handler_token_for_the_customer_then_every_list_is_readable(
    client: TestClient, sqlite_engine: Engine
) -> None:
    headers = token(sqlite_engine, "call-handler")
    assert client.get(prospects_url(report_id=LIST_2), headers=headers).status_code == 200
    assert (
        client.get(f"/api/customers/acme/prospects/{crm_id(6)}", headers=headers).status_code == 200
    )
    assert client.get(prospects_url("globex"), headers=headers).status_code == 403


def test_given_an_expired_call_handler_token_then_401(
    client: TestClient, sqlite_engine: Engine
) -> None:
    headers = token(sqlite_engine, "call-handler", now=utcnow() - timedelta(hours=8, seconds=1))
    assert client.get(prospects_url(), headers=headers).status_code == 401


def test_given_a_revoked_call_handler_token_then_401(
    client: TestClient, sqlite_engine: Engine
) -> None:
    headers = token(sqlite_engine, "call-handler", name="temp")
    assert client.get(prospects_url(), headers=headers).status_code == 200
    TokenStore(sqlite_engine).revoke("temp", revoked_by="test")
    assert client.get(prospects_url(), headers=headers).status_code == 401


def test_given_no_token_then_401_even_without_an_operator_token_configured(
    sqlite_engine: Engine, maps: Path, acme: TenantStore
) -> None:
    open_client = TestClient(
        create_app(sqlite_engine, web_settings=WebSettings(field_maps_dir=maps))
    )
    assert open_client.get(prospects_url()).status_code == 401
    assert open_client.get("/api/customers/acme/call-lists").status_code == 401


# what a response carries --------------------------------------------------------------


def test_a_prospect_carries_its_crm_id_and_only_the_mapped_fields(
    client: TestClient, sqlite_engine: Engine
) -> None:
    headers = token(sqlite_engine, "platform")
    items = client.get(prospects_url(), headers=headers).json()["items"]
    assert {tuple(sorted(item)) for item in items} == {tuple(sorted(("crm_id", *MAPPED)))}
    one = client.get(f"/api/customers/acme/prospects/{crm_id(1)}", headers=headers).json()
    assert set(one) == {"crm_id", *MAPPED}
    assert "phone" not in client.get(prospects_url(), headers=headers).text


def test_a_forgotten_person_never_appears(
    client: TestClient, sqlite_engine: Engine, acme: TenantStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", "test-suppression-key-0123456789abcdef")
    get_settings.cache_clear()
    forget_subject(acme, parse_subject("email", "person2@example.com"), "test")
    headers = token(sqlite_engine, "platform")
    body = client.get(prospects_url(), headers=headers).text
    assert crm_id(2) not in body and "person2@example.com" not in body
    assert (
        client.get(f"/api/customers/acme/prospects/{crm_id(2)}", headers=headers).status_code == 404
    )


def test_given_no_field_map_then_nothing_is_served(
    sqlite_engine: Engine, tmp_path: Path, acme: TenantStore
) -> None:
    client = make_client(sqlite_engine, tmp_path / "empty")
    response = client.get(prospects_url(), headers=token(sqlite_engine, "platform"))
    assert response.status_code == 503
    assert "person1" not in response.text


# paging and the change feed -----------------------------------------------------------


def read_all(client: TestClient, headers: dict[str, str], limit: int) -> tuple[list[str], str]:
    ids: list[str] = []
    params: dict[str, object] = {"limit": limit}
    while True:
        page = client.get(prospects_url(), headers=headers, params=params).json()
        ids += [item["crm_id"] for item in page["items"]]
        if page["next_cursor"] is None:
            return ids, page["since"]
        params = {"limit": limit, "cursor": page["next_cursor"]}


def test_a_full_read_pages_every_member_once_in_id_order(
    client: TestClient, sqlite_engine: Engine, acme: TenantStore
) -> None:
    add_members(acme, LIST_1, [person(n) for n in range(100, 350)])
    ids, since = read_all(client, token(sqlite_engine, "platform"), limit=100)
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 255
    assert since is not None


def test_the_change_feed_returns_only_what_changed_after_the_read(
    client: TestClient, sqlite_engine: Engine, acme: TenantStore
) -> None:
    headers = token(sqlite_engine, "platform")
    _, since = read_all(client, headers, limit=2)
    add_members(acme, LIST_1, [person(3, first_name="Renamed"), person(400)])
    add_members(acme, LIST_2, [person(401)])
    changes = client.get(prospects_url(), headers=headers, params={"since": since}).json()
    assert [i["crm_id"] for i in changes["items"]] == [crm_id(3), crm_id(400)]
    assert changes["items"][0]["first_name"] == "Renamed"
    again = client.get(prospects_url(), headers=headers, params={"since": changes["since"]}).json()
    assert again["items"] == [] and again["since"] == changes["since"]


def test_the_change_feed_pages_in_change_order(
    client: TestClient, sqlite_engine: Engine, acme: TenantStore
) -> None:
    headers = token(sqlite_engine, "platform")
    _, since = read_all(client, headers, limit=100)
    add_members(acme, LIST_1, [person(n) for n in range(500, 505)])
    seen: list[str] = []
    while True:
        page = client.get(
            prospects_url(), headers=headers, params={"since": since, "limit": 2}
        ).json()
        seen += [i["crm_id"] for i in page["items"]]
        since = page["since"]
        if not page["more"]:
            break
    assert seen == [crm_id(n) for n in range(500, 505)]


def test_a_change_younger_than_the_lag_waits_for_the_next_call(
    sqlite_engine: Engine, maps: Path, acme: TenantStore
) -> None:
    client = make_client(sqlite_engine, maps, lag=3600)
    headers = token(sqlite_engine, "platform")
    _, since = read_all(client, headers, limit=100)
    add_members(acme, LIST_1, [person(3, first_name="Renamed")])
    changes = client.get(prospects_url(), headers=headers, params={"since": since}).json()
    assert changes["items"] == []


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"cursor": "garbage"}, 400),
        ({"since": "p1.e30"}, 400),
        ({"cursor": "c1.%%%"}, 400),
        ({"cursor": "p1.e30", "since": "c1.e30"}, 400),
        ({"limit": 0}, 422),
        ({"limit": 1001}, 422),
    ],
)
def test_bad_paging_parameters_are_refused(
    client: TestClient, sqlite_engine: Engine, params: dict, status: int
) -> None:
    response = client.get(prospects_url(), headers=token(sqlite_engine, "platform"), params=params)
    assert response.status_code == status


def test_unknown_customer_list_or_prospect_is_404(client: TestClient) -> None:
    admin = {"Authorization": f"Bearer {BOOTSTRAP}"}
    assert client.get(prospects_url("nobody"), headers=admin).status_code == 404
    assert (
        client.get(prospects_url(report_id="00O000000000009AAA"), headers=admin).status_code == 404
    )
    assert (
        client.get("/api/customers/acme/prospects/003000000000999AAA", headers=admin).status_code
        == 404
    )
    assert client.get("/api/customers/acme/prospects/not-an-id", headers=admin).status_code == 404


def test_the_read_api_is_documented_with_examples(client: TestClient) -> None:
    spec = client.app.openapi()  # served only with CONNECTOR_DOCS=true; generated always
    for path in (
        "/api/customers/{customer}/call-lists",
        "/api/customers/{customer}/call-lists/{call_list}/prospects",
        "/api/customers/{customer}/prospects/{crm_id}",
    ):
        assert path in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert all(
        "example" in schemas[name] for name in ("CallListsOut", "ProspectPage", "ProspectOut")
    )
