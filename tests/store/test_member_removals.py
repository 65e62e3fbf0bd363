"""The removal log: every deletion of a member logs its CRM id, in the same transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from connector.errors import StoreError
from connector.privacy.forget import forget_subject
from connector.privacy.retention import run_due_retention
from connector.privacy.subjects import parse_subject
from connector.store import TenantStore
from connector.store.models import MemberRemoval, utcnow
from connector.store.pull_rows import PageOutcome, ReportListing
from connector.store.rls import enter_tenant
from tests.helpers.key_ring import key_ring  # noqa: F401  (autouse)
from tests.helpers.pages import page_id as cid
from tests.helpers.pages import pull_page

REPORT = "00O000000000001AAA"
OTHER = "00O000000000002AAA"
FOLDER = "00l000000000001AAA"


def pull(store: TenantStore, ids: list[int], report_id: str = REPORT) -> PageOutcome:
    return pull_page(store, report_id, ids)


def logged(store: TenantStore, report_id: str | None = REPORT) -> list[tuple[str, str]]:
    return [(r.crm_id, r.reason) for r in store.removals(report_id)]


@pytest.fixture
def store(engine: Engine) -> TenantStore:
    store = TenantStore(engine, "acme")
    store.ensure_customer()
    store.upsert_call_lists(
        [ReportListing(r, f"List {r[-4:]}", f"List_{r[-4:]}", FOLDER) for r in (REPORT, OTHER)]
    )
    return store


def test_members_a_page_no_longer_holds_are_logged_as_left(store: TenantStore) -> None:
    pull(store, [1, 2, 3, 4])
    assert logged(store) == []

    outcome = pull(store, [1, 3])

    assert outcome.members_removed == 2
    assert logged(store) == [(cid(2), "left"), (cid(4), "left")]
    assert {m.crm_id for m in store.memberships(REPORT)} == {cid(1), cid(3)}


def test_a_second_removal_of_the_same_member_keeps_one_entry_with_the_latest_time(
    store: TenantStore,
) -> None:
    pull(store, [1, 2])
    pull(store, [1])
    [first] = store.removals(REPORT)
    pull(store, [1, 2])
    pull(store, [1])
    [second] = store.removals(REPORT)
    assert second.crm_id == cid(2) and second.removed_at > first.removed_at


def test_a_call_list_that_left_the_folder_logs_every_member(store: TenantStore) -> None:
    pull(store, [1, 2])
    pull(store, [3], report_id=OTHER)

    store.retire_call_lists(keep={OTHER})

    assert logged(store) == [(cid(1), "list_retired"), (cid(2), "list_retired")]
    assert logged(store, OTHER) == []


def test_a_forgotten_member_is_logged_in_every_list_by_crm_id_only(
    store: TenantStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", "test-suppression-key-0123456789abcdef")
    pull(store, [1, 2])
    pull(store, [2], report_id=OTHER)

    forget_subject(store, parse_subject("email", "p2@example.com"), "test")

    assert logged(store) == [(cid(2), "forgotten")]
    assert logged(store, OTHER) == [(cid(2), "forgotten")]
    assert set(MemberRemoval.model_fields) == {
        "customer_id",
        "report_id",
        "crm_id",
        "removed_at",
        "reason",
    }


def test_a_failed_page_logs_nothing(store: TenantStore) -> None:
    pull(store, [1, 2])
    with pytest.raises(StoreError):
        store.save_page(
            run_id="run1",
            report_id=REPORT,
            after=None,
            cursor=None,
            done=True,
            rows_read=1,
            mapped=[(cid(1), {"last_name": "x"})],
            rejects=[(cid(9), None)],  # type: ignore[list-item]  # NOT NULL reason: fails
        )
    assert logged(store) == []
    assert len(store.memberships(REPORT)) == 2


def test_retention_prunes_removals_older_than_the_change_log(
    store: TenantStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_CHANGE_LOG_DAYS", "7")
    pull(store, [1, 2, 3])
    pull(store, [1, 3])
    pull(store, [1])
    [old, young] = store.removals(REPORT)
    with store.session() as session:  # the first removal was logged ten days ago
        stored = session.get(MemberRemoval, ("acme", REPORT, old.crm_id))
        assert stored is not None
        stored.removed_at = utcnow() - timedelta(days=10)
        session.add(stored)

    run_due_retention(store.engine, now=utcnow())

    assert logged(store) == [(young.crm_id, "left")]
    [event] = [e for e in store.audit_events() if e.action == "retention"]
    assert '"change_log_days": 7' in (event.detail or "")


def test_one_customer_never_sees_another_customers_removals(
    engine: Engine, store: TenantStore
) -> None:
    pull(store, [1, 2])
    pull(store, [1])
    other = TenantStore(engine, "globex")
    other.ensure_customer()

    assert other.removals() == []
    assert other.removals(REPORT) == []
    if engine.dialect.name == "postgresql":
        # row-level security alone, without the store's own filter: a transaction bound to
        # globex reads no row of acme's log with plain SQL
        with engine.begin() as conn:
            enter_tenant(conn, "globex")
            assert conn.execute(text("SELECT crm_id FROM member_removals")).all() == []
            acme_rows = conn.execute(
                text("SELECT count(*) FROM member_removals WHERE customer_id = 'acme'")
            ).scalar_one()
            assert acme_rows == 0
