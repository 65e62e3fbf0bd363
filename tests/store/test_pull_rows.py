"""The pull's store operations: pages with their checkpoint, call lists, runs, orphans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from connector.errors import LeaseLost
from connector.store import TenantStore, page_sql
from connector.store.models import (
    PROSPECT_FIELDS,
    Checkpoint,
    Membership,
    Prospect,
    RejectedRow,
    Suppression,
)
from connector.store.pull_rows import PageOutcome, ReportListing, as_listing
from connector.store.subjects_lock import _LOCK_CLASS
from tests.helpers.stores import owner_of

REPORT = "00O000000000001AAA"
OTHER = "00O000000000002AAA"
FOLDER = "00l000000000001AAA"


def cid(n: int) -> str:
    return f"003{n:012d}AAA"


def person(n: int, **fields: Any) -> tuple[str, dict[str, str | None]]:
    return cid(n), {"last_name": f"Last{n}", "email": f"p{n}@example.com", **fields}


@pytest.fixture
def store(engine: Engine) -> TenantStore:
    """The page writes differ per engine (plain SQL on each), so these run on both."""
    store = TenantStore(engine, "acme")
    store.ensure_customer()
    return store


def page(store: TenantStore, run_id: str, mapped: list[Any], **kw: Any) -> Any:
    args: dict[str, Any] = {
        "run_id": run_id,
        "report_id": REPORT,
        "after": None,
        "cursor": mapped[-1][0] if mapped else None,
        "done": True,
        "rows_read": len(mapped),
        "mapped": mapped,
        "rejects": [],
    }
    args.update(kw)
    return store.save_page(**args)


def test_given_a_page_then_prospects_members_rejects_and_checkpoint_are_saved(
    store: TenantStore,
) -> None:
    run = store.start_run("pull")
    outcome = page(
        store,
        run.run_id,
        [person(1), person(2), person(2)],
        rejects=[(cid(3), "field 'email': not a valid email address")],
        done=False,
        cursor=cid(3),
        rows_read=4,
    )
    assert (outcome.written, outcome.unchanged, outcome.members_added) == (2, 0, 2)  # once each
    assert (outcome.members_removed, outcome.rejected) == (0, 1)
    [checkpoint] = store.checkpoints(run.run_id).values()
    assert (checkpoint.report_id, checkpoint.last_key, checkpoint.rows_read, checkpoint.done) == (
        REPORT,
        cid(3),
        4,
        False,
    )
    [rejected] = store.rejected_rows(run.run_id)
    assert (rejected.crm_id, rejected.reason) == (
        cid(3),
        "field 'email': not a valid email address",
    )
    assert sorted(store.prospect_ids_in(REPORT)) == [cid(1), cid(2)]
    assert (store.count(Prospect), store.count(Membership), store.count(RejectedRow)) == (2, 2, 1)
    assert store.count(Checkpoint) == 1


def test_given_the_same_rows_again_then_nothing_is_written_and_a_change_is(
    store: TenantStore,
) -> None:
    page(store, store.start_run("pull").run_id, [person(1), person(2)])
    again = page(store, store.start_run("pull").run_id, [person(1), person(2, email=None)])
    assert (again.written, again.unchanged, again.members_added, again.members_removed) == (
        1,
        1,
        0,
        0,
    )
    prospect = store.prospects_by_ids([cid(2)])[cid(2)]
    assert (prospect.email, prospect.last_name) == (None, "Last2")


def test_given_a_page_then_only_members_in_its_id_range_that_it_lacks_are_removed(
    store: TenantStore,
) -> None:
    run = store.start_run("pull").run_id
    page(store, run, [person(n) for n in range(1, 7)])
    # a page covering (cid(2), cid(4)] that no longer holds cid(3)
    outcome = page(store, run, [person(4)], after=cid(2), cursor=cid(4), done=False)
    assert (outcome.members_added, outcome.members_removed) == (0, 1)
    assert sorted(store.prospect_ids_in(REPORT)) == [cid(n) for n in (1, 2, 4, 5, 6)]
    # the last page covers (cid(4), ∞): cid(6) is gone
    last = page(store, run, [person(5), person(7)], after=cid(4), cursor=cid(7), done=True)
    assert (last.members_added, last.members_removed) == (1, 1)
    assert sorted(store.prospect_ids_in(REPORT)) == [cid(n) for n in (1, 2, 4, 5, 7)]


def test_given_an_empty_first_and_last_page_then_every_member_of_the_list_goes(
    store: TenantStore,
) -> None:
    run = store.start_run("pull").run_id
    page(store, run, [person(1), person(2)])
    page(store, run, [person(1)], report_id=OTHER)
    outcome = page(store, run, [], after=None, cursor=None, done=True)
    assert (outcome.written, outcome.unchanged, outcome.members_removed) == (0, 0, 2)
    assert store.prospect_ids_in(REPORT) == []
    assert store.prospect_ids_in(OTHER) == [cid(1)]
    assert store.remove_orphan_prospects() == 1
    assert [p.crm_id for p in store.prospects()] == [cid(1)]


def test_given_call_lists_then_they_are_renamed_retired_and_counted(store: TenantStore) -> None:
    store.upsert_call_lists(
        [ReportListing(REPORT, "Calls", "Calls", FOLDER), ReportListing(OTHER, "B", "B", FOLDER)]
    )
    store.upsert_call_lists([ReportListing(REPORT, "Calls East", "Calls_East", FOLDER)])
    run = store.start_run("pull").run_id
    page(store, run, [person(1), person(2)])
    page(store, run, [person(3)], report_id=OTHER)
    assert store.finish_call_list(REPORT) == 2
    assert store.finish_call_list("00O000000000009AAA") == 0
    assert store.retire_call_lists({REPORT}) == ["B"]
    lists = {c.report_id: c for c in store.call_lists()}
    assert (lists[REPORT].name, lists[REPORT].developer_name, lists[REPORT].row_count) == (
        "Calls East",
        "Calls_East",
        2,
    )
    assert lists[REPORT].last_synced_at is not None
    assert (lists[OTHER].active, lists[OTHER].row_count) == (False, 0)
    assert lists[OTHER].retired_at is not None
    assert store.prospect_ids_in(OTHER) == []
    assert [c.report_id for c in store.call_lists(active_only=True)] == [REPORT]
    # back in the folder: active again
    store.upsert_call_lists([ReportListing(OTHER, "B", "B", FOLDER)])
    assert {c.report_id for c in store.call_lists(active_only=True)} == {REPORT, OTHER}
    assert all(c.retired_at is None for c in store.call_lists(active_only=True))


def test_given_runs_then_the_latest_unfinished_one_is_found_and_crashed_ones_abandoned(
    store: TenantStore,
) -> None:
    first = store.start_run("pull", trigger="schedule", full=True)
    assert (first.kind, first.trigger, first.full, first.status) == (
        "pull",
        "schedule",
        True,
        "running",
    )
    assert store.unfinished_run("pull") is not None
    assert store.unfinished_run("push") is None
    assert store.unfinished_run("pull", statuses=("stopped",)) is None
    first.status = "stopped"
    store.save_run(first)
    found = store.unfinished_run("pull")
    assert found is not None and found.run_id == first.run_id
    second = store.start_run("pull")
    assert store.abandon_unfinished_runs("push") == 0
    assert store.abandon_unfinished_runs("pull") == 1
    abandoned = store.get_run(second.run_id)
    assert abandoned is not None and abandoned.status == "abandoned"
    assert abandoned.finished_at is not None
    assert [r.run_id for r in store.list_runs()] == [second.run_id, first.run_id]
    assert [r.run_id for r in store.list_runs(1)] == [second.run_id]


def test_given_a_resumable_run_then_it_is_carried_on_else_a_new_one_starts_in_one_step(
    store: TenantStore,
) -> None:
    first, resumed = store.resume_or_start_run("pull", {"running", "stopped"}, trigger="schedule")
    assert (resumed, first.trigger, first.full, first.status) == (
        False,
        "schedule",
        False,
        "running",
    )
    assert store.get_run(first.run_id) is not None  # recorded by that same step
    again, resumed = store.resume_or_start_run("pull", {"running", "stopped"})
    assert (resumed, again.run_id) == (True, first.run_id)
    first.status = "failed"
    store.save_run(first)
    fresh, resumed = store.resume_or_start_run("pull", {"running", "stopped"})
    assert not resumed and fresh.run_id != first.run_id
    # a full run never carries on: the run left running is abandoned, a new one starts
    full, resumed = store.resume_or_start_run("pull", {"running", "stopped"}, full=True)
    assert not resumed and full.full and full.run_id != fresh.run_id
    abandoned = store.get_run(fresh.run_id)
    assert abandoned is not None and abandoned.status == "abandoned"
    assert abandoned.finished_at is not None
    other, resumed = store.resume_or_start_run("push", {"running", "stopped"})
    assert not resumed and other.kind == "push"  # another kind's runs are not ours
    assert other.trigger == "manual"  # the default, as for start_run


def test_given_a_report_s_last_page_then_its_call_list_is_stamped_with_that_page(
    store: TenantStore,
) -> None:
    store.upsert_call_lists([ReportListing(REPORT, "Calls", "Calls", FOLDER)])
    run = store.start_run("pull").run_id
    first = page(store, run, [person(1), person(2)], done=False)
    assert first.members is None  # more pages to come: the list is not stamped yet
    (unstamped,) = store.call_lists()
    assert (unstamped.row_count, unstamped.last_synced_at) == (0, None)
    last = page(store, run, [person(3)], after=cid(2), cursor=None, done=True)
    assert last.members == 3
    (stamped,) = store.call_lists()
    assert stamped.row_count == 3 and stamped.last_synced_at is not None
    # a report without a call list row is counted, and nothing else is touched
    assert page(store, run, [person(4)], report_id=OTHER).members == 1
    assert [c.report_id for c in store.call_lists()] == [REPORT]


def test_given_a_list_read_without_its_last_page_stamp_then_finishing_it_stamps_the_count(
    store: TenantStore,
) -> None:
    store.upsert_call_lists([ReportListing(REPORT, "Calls", "Calls", FOLDER)])
    page(store, store.start_run("pull").run_id, [person(1), person(2)], done=False)
    assert store.finish_call_list(REPORT) == 2
    (stamped,) = store.call_lists()
    assert stamped.row_count == 2 and stamped.last_synced_at is not None


def test_given_the_folder_s_reports_then_call_lists_are_made_renamed_and_retired_at_once(
    store: TenantStore,
) -> None:
    assert store.sync_call_lists([ReportListing(REPORT, "Calls", "Calls", FOLDER)]) == []
    run = store.start_run("pull").run_id
    page(store, run, [person(1), person(2)])
    (before,) = store.call_lists()
    renamed = ReportListing(REPORT, "Calls East", "Calls_East", FOLDER)
    # a report listed twice is one call list, the later listing winning
    listed = [ReportListing(REPORT, "Old", "Old", FOLDER), renamed]
    assert store.sync_call_lists([*listed, ReportListing(OTHER, "B", "B", FOLDER)]) == []
    lists = {c.report_id: c for c in store.call_lists()}
    assert (lists[REPORT].name, lists[REPORT].developer_name) == ("Calls East", "Calls_East")
    # what the pull recorded about the list is kept: its count, its sync time, first seen
    kept = (before.row_count, before.last_synced_at, before.first_seen_at)
    assert (
        lists[REPORT].row_count,
        lists[REPORT].last_synced_at,
        lists[REPORT].first_seen_at,
    ) == kept
    assert store.sync_call_lists([ReportListing(OTHER, "B", "B", FOLDER)]) == ["Calls_East"]
    lists = {c.report_id: c for c in store.call_lists()}
    assert (lists[REPORT].active, lists[OTHER].active) == (False, True)
    assert store.prospect_ids_in(REPORT) == []
    # back in the folder: active again
    assert store.sync_call_lists([renamed]) == ["B"]
    (active,) = store.call_lists(active_only=True)
    assert active.report_id == REPORT and active.retired_at is None


def test_given_a_finished_run_then_orphans_go_with_its_last_save_and_are_counted(
    store: TenantStore,
) -> None:
    run = store.start_run("pull")
    page(store, run.run_id, [person(1), person(2)])
    page(store, run.run_id, [person(1)], after=None, cursor=None, done=True)
    run.status, run.prospects_removed = "succeeded", 1  # counted before, by earlier steps
    saved = store.save_run(run, remove_orphans=True)
    assert saved.prospects_removed == 2
    stored = store.get_run(run.run_id)
    assert stored is not None and stored.prospects_removed == 2
    assert [p.crm_id for p in store.prospects()] == [cid(1)]
    # without the flag nothing is removed: other runs (a push) save theirs so
    page(store, run.run_id, [], after=None, cursor=None, done=True)  # cid(1) orphaned now
    assert store.save_run(run).prospects_removed == 2
    assert [p.crm_id for p in store.prospects()] == [cid(1)]


def test_given_more_ids_than_one_query_chunk_then_all_prospects_are_read_and_compared(
    store: TenantStore,
) -> None:
    rows = [person(n) for n in range(1, 1203)]
    run = store.start_run("pull").run_id
    assert page(store, run, rows).written == 1202
    again = page(store, run, rows)
    assert (again.written, again.unchanged) == (0, 1202)
    assert len(store.prospects_by_ids([cid(n) for n in range(1, 1203)])) == 1202
    assert len(store.prospects(limit=10)) == 10


def test_given_a_customer_status_then_it_is_stored_with_the_reason(sqlite_engine: Engine) -> None:
    store = TenantStore(sqlite_engine, "newco")
    assert store.get_customer() is None
    store.set_customer_status("reconnect_needed", "expired refresh token")
    customer = store.get_customer()
    assert customer is not None
    assert (customer.status, customer.status_reason) == (
        "reconnect_needed",
        "expired refresh token",
    )
    store.set_customer_status("active")
    customer = store.get_customer()
    assert customer is not None and (customer.status, customer.status_reason) == ("active", None)


def test_a_report_ref_becomes_a_listing() -> None:
    ref = SimpleNamespace(id=REPORT, name="Calls", developer_name="Calls", folder_id=FOLDER)
    assert as_listing(ref) == ReportListing(REPORT, "Calls", "Calls", FOLDER)


def test_given_runs_then_they_are_counted_by_kind_and_status_with_the_latest_finish(
    store: TenantStore,
) -> None:
    assert store.run_counts() == {}
    assert store.last_finished_at("pull") is None
    finishes = {}
    for n, (kind, status) in enumerate(
        [("pull", "succeeded"), ("pull", "succeeded"), ("pull", "failed"), ("push", "succeeded")]
    ):
        run = store.start_run(kind)
        run.status, run.finished_at = status, datetime(2026, 3, 2, 12, n, tzinfo=UTC)
        store.save_run(run)
        finishes[kind, status] = run.finished_at
    store.start_run("pull")  # still running, not finished
    other = TenantStore(store.engine, "globex")
    other.ensure_customer()
    other.start_run("pull")
    assert store.run_counts() == {
        ("pull", "succeeded"): 2,
        ("pull", "failed"): 1,
        ("pull", "running"): 1,
        ("push", "succeeded"): 1,
    }
    assert store.last_finished_at("pull") == finishes["pull", "succeeded"]
    assert store.last_finished_at("pull", "failed") == finishes["pull", "failed"]
    assert store.last_finished_at("push", "failed") is None


def test_given_members_of_two_lists_then_they_are_read_per_list_or_all(
    store: TenantStore,
) -> None:
    run = store.start_run("pull").run_id
    page(store, run, [person(1), person(2)])
    page(store, run, [person(3)], report_id=OTHER)
    assert sorted((m.report_id, m.crm_id) for m in store.memberships()) == [
        (REPORT, cid(1)),
        (REPORT, cid(2)),
        (OTHER, cid(3)),
    ]
    assert [m.crm_id for m in store.memberships(OTHER)] == [cid(3)]


def test_given_several_runs_then_the_newest_comes_first_and_decides_what_is_unfinished(
    store: TenantStore,
) -> None:
    started = [store.start_run("pull") for _ in range(8)]
    assert [r.run_id for r in store.list_runs()] == [r.run_id for r in reversed(started)]
    assert [r.run_id for r in store.list_runs(3)] == [r.run_id for r in reversed(started)][:3]
    for run in started[:-1]:
        run.status = "stopped"
        store.save_run(run)
    started[-1].status = "succeeded"
    store.save_run(started[-1])
    # only the latest run counts: the earlier stopped ones are not continued
    assert store.unfinished_run("pull") is None


def test_given_call_lists_then_they_are_listed_by_developer_name(store: TenantStore) -> None:
    names = ["Calls_West", "Calls_East", "Calls_North", "Calls_South"]
    store.upsert_call_lists(
        [ReportListing(f"00O00000000000{n}AAA", name, name, FOLDER) for n, name in enumerate(names)]
    )
    assert [c.developer_name for c in store.call_lists()] == sorted(names)


def test_given_prospects_saved_out_of_order_then_they_are_read_in_crm_id_order(
    store: TenantStore,
) -> None:
    page(store, store.start_run("pull").run_id, [person(3), person(1), person(2)])
    assert [p.crm_id for p in store.prospects()] == [cid(1), cid(2), cid(3)]
    assert [p.crm_id for p in store.prospects(limit=2)] == [cid(1), cid(2)]


def test_given_nothing_orphaned_then_no_prospect_is_removed(store: TenantStore) -> None:
    assert store.remove_orphan_prospects() == 0
    page(store, store.start_run("pull").run_id, [person(1)])
    assert store.remove_orphan_prospects() == 0
    assert store.count(Prospect) == 1


def test_given_another_customer_holds_the_same_person_then_our_orphan_still_goes(
    store: TenantStore,
) -> None:
    other = TenantStore(store.engine, "globex")
    other.ensure_customer()
    page(other, other.start_run("pull").run_id, [person(1)])
    run = store.start_run("pull").run_id
    page(store, run, [person(1)])
    page(store, run, [], after=None, cursor=None, done=True)  # our list no longer holds them
    assert store.remove_orphan_prospects() == 1
    assert store.count(Prospect) == 0
    assert [p.crm_id for p in other.prospects()] == [cid(1)]


def test_given_a_page_then_its_rows_count_the_kept_rejected_and_suppressed_ones(
    store: TenantStore,
) -> None:
    run_id = store.start_run("pull").run_id
    kept, refused = [person(1), person(2)], [(cid(3), "no last name")]
    outcome = page(store, run_id, kept, rejects=refused, suppressed=2, rows_read=5)
    assert (outcome.rows, outcome.written, outcome.rejected, outcome.suppressed) == (5, 2, 1, 2)
    plain = page(store, run_id, [person(4)], after=cid(2), cursor=cid(4), done=False)
    assert (plain.rows, plain.suppressed) == (1, 0)
    saved = store.get_run(run_id)
    assert saved is not None
    assert (saved.rows_read, saved.prospects_written, saved.rejected, saved.suppressed) == (
        6,
        3,
        1,
        2,
    )


def test_given_the_last_page_then_members_after_its_cursor_go_too(store: TenantStore) -> None:
    run = store.start_run("pull").run_id
    page(store, run, [person(n) for n in range(1, 7)])
    # the report now ends at cid(4): the last page covers (cid(2), ∞)
    last = page(store, run, [person(3), person(4)], after=cid(2), cursor=cid(4), done=True)
    assert last.members_removed == 2
    assert sorted(store.prospect_ids_in(REPORT)) == [cid(n) for n in (1, 2, 3, 4)]


def test_given_suppressions_then_the_screen_sees_them_as_stored_and_its_ids_are_left_out(
    store: TenantStore,
) -> None:
    with store.session() as session:
        session.add(Suppression(customer_id="acme", subject_hash="h-forgotten", kind="email"))
    seen: list[frozenset[str]] = []

    def screen(hashes: frozenset[str]) -> list[str]:
        seen.append(hashes)
        return [cid(2)] if "h-forgotten" in hashes else []

    # one row of the page was left out before the page came here, one more by the screen
    mapped = [person(1), person(2)]
    outcome = page(store, store.start_run("pull").run_id, mapped, screen=screen, suppressed=1)
    assert seen == [frozenset({"h-forgotten"})]
    assert (outcome.rows, outcome.written, outcome.suppressed) == (3, 1, 2)
    assert [p.crm_id for p in store.prospects()] == [cid(1)]


def _finish(store: TenantStore, token: int, run: Any) -> None:
    run.status = "succeeded"
    store.save_run(run, token)


FENCED_WRITES = {
    "save_run": _finish,
    "save_run_removing_orphans": lambda store, token, run: store.save_run(
        run, token, remove_orphans=True
    ),
    "sync_call_lists": lambda store, token, _run: store.sync_call_lists(
        [ReportListing(OTHER, "B", "B", FOLDER)], token
    ),
    "upsert_call_lists": lambda store, token, _run: store.upsert_call_lists(
        [ReportListing(OTHER, "B", "B", FOLDER)], token
    ),
    "retire_call_lists": lambda store, token, _run: store.retire_call_lists(set(), token),
    "finish_call_list": lambda store, token, _run: store.finish_call_list(REPORT, token),
    "remove_orphan_prospects": lambda store, token, _run: store.remove_orphan_prospects(token),
    "save_page": lambda store, token, run: page(store, run.run_id, [person(9)], fence=token),
}


@pytest.mark.parametrize("write", FENCED_WRITES.values(), ids=FENCED_WRITES.keys())
def test_given_the_lease_taken_over_then_each_fenced_write_is_refused_and_changes_nothing(
    store: TenantStore, write: Any
) -> None:
    store.upsert_call_lists([ReportListing(REPORT, "Calls", "Calls", FOLDER)])
    page(store, store.start_run("pull").run_id, [person(1)], report_id=OTHER)
    token = store.acquire_lease("worker-a", timedelta(minutes=5))
    assert token is not None
    write(store, token, store.start_run("pull"))  # ours: allowed
    assert store.acquire_lease("worker-b", timedelta(minutes=5), replacing="worker-a") == token + 1
    run = store.start_run("pull")
    before = (store.list_runs(50), store.call_lists(), store.prospects(), store.memberships())
    with pytest.raises(LeaseLost):
        write(store, token, run)
    after = (store.list_runs(50), store.call_lists(), store.prospects(), store.memberships())
    assert repr(after) == repr(before)


@pytest.mark.postgres
def test_while_a_page_is_saved_then_a_forget_cannot_take_the_people_lock_but_a_page_can(
    postgres_engine: Engine,
) -> None:
    store = TenantStore(postgres_engine, "acme")
    store.ensure_customer()
    probes: list[tuple[bool, bool]] = []

    def screen(_hashes: frozenset[str]) -> list[str]:
        # runs inside the page's transaction: try the lock from another connection
        lock = {"lock_class": _LOCK_CLASS, "customer": "acme"}
        with owner_of(postgres_engine).connect() as other:
            forget = other.execute(
                text("SELECT pg_try_advisory_xact_lock(:lock_class, hashtext(:customer))"), lock
            ).scalar_one()
            another_page = other.execute(
                text("SELECT pg_try_advisory_xact_lock_shared(:lock_class, hashtext(:customer))"),
                lock,
            ).scalar_one()
            other.rollback()
        probes.append((forget, another_page))
        return []

    page(store, store.start_run("pull").run_id, [person(1)], screen=screen)
    assert probes == [(False, True)]


def test_given_pages_of_two_runs_then_each_row_names_the_run_that_last_wrote_it(
    store: TenantStore,
) -> None:
    first = store.start_run("pull").run_id
    page(store, first, [person(1), person(2)])
    second = store.start_run("pull").run_id
    page(store, second, [person(1), person(2, title="CFO"), person(3)])
    runs = {p.crm_id: p.last_seen_run for p in store.prospects()}
    assert runs == {cid(1): first, cid(2): second, cid(3): second}  # unchanged: not written
    added = {m.crm_id: m.last_seen_run for m in store.memberships(REPORT)}
    assert added == {cid(1): first, cid(2): first, cid(3): second}
    counted = {run_id: store.get_run(run_id) for run_id in (first, second)}
    assert {run_id: run.rows_read for run_id, run in counted.items() if run} == {
        first: 2,
        second: 3,
    }


def test_given_a_page_then_its_times_are_stored_as_the_store_compares_them(
    store: TenantStore,
) -> None:
    # the page writes in plain SQL: its times must match in SQL the values the store reads
    page(store, store.start_run("pull").run_id, [person(1)])
    [prospect] = store.prospects()
    [member] = store.memberships(REPORT)
    with store.session() as session:
        found = session.exec(
            select(Prospect.crm_id).where(
                Prospect.updated_at == prospect.updated_at,
                Prospect.first_seen_at == prospect.first_seen_at,
            )
        ).all()
        members = session.exec(
            select(Membership.crm_id).where(Membership.added_at == member.added_at)
        ).all()
    assert (list(found), list(members)) == ([cid(1)], [cid(1)])


def test_given_a_run_started_without_a_trigger_then_it_is_a_manual_incremental_one(
    store: TenantStore,
) -> None:
    run = store.start_run("pull")
    stored = store.get_run(run.run_id)
    assert stored is not None
    assert (stored.kind, stored.trigger, stored.full, stored.status) == (
        "pull",
        "manual",
        False,
        "running",
    )


def test_given_a_customer_row_then_ensuring_it_again_keeps_it_as_it_is(
    store: TenantStore,
) -> None:
    store.set_customer_status("paused", "asked by the customer")
    customer = store.ensure_customer()
    assert (customer.customer_id, customer.status, customer.status_reason) == (
        "acme",
        "paused",
        "asked by the customer",
    )


def test_a_pages_outcome_adds_each_count_to_the_runs_counters(store: TenantStore) -> None:
    run = store.start_run("pull")
    run.rows_read, run.prospects_written = 10, 4
    PageOutcome(7, 3, 2, 5, 1, 1, 1).count_into(run)
    assert run.rows_read == 17 and run.prospects_written == 7
    assert (run.prospects_unchanged, run.memberships_added, run.memberships_removed) == (2, 5, 1)
    assert (run.rejected, run.suppressed) == (1, 1)


def sealed_person(n: int, version: str = "v1") -> tuple[str, dict[str, str | None]]:
    """A row as the pull hands it over: one sealed value and its change hash only."""
    return cid(n), {"sealed": f"enc2:sealed-{n}-{version}", "row_hash": f"hash-{n}-{version}"}


def stored_columns(engine: Engine, crm_id: str) -> dict[str, Any]:
    with owner_of(engine).connect() as conn:
        row = conn.execute(
            text("SELECT * FROM prospects WHERE customer_id = 'acme' AND crm_id = :id"),
            {"id": crm_id},
        ).one()
    return dict(row._mapping)


def test_given_a_page_of_sealed_rows_then_every_field_column_is_emptied_and_only_changes_written(
    store: TenantStore, engine: Engine
) -> None:
    every_field = {name: f"{name}-{1}" for name in PROSPECT_FIELDS}
    first = store.start_run("pull").run_id
    page(store, first, [(cid(1), every_field), person(2)])

    second = store.start_run("pull").run_id
    outcome = page(store, second, [sealed_person(1), sealed_person(2)])

    assert (outcome.written, outcome.unchanged) == (2, 0)
    for n in (1, 2):
        row = stored_columns(engine, cid(n))
        assert {name: row[name] for name in PROSPECT_FIELDS} == dict.fromkeys(PROSPECT_FIELDS)
        assert (row["sealed"], row["row_hash"]) == (f"enc2:sealed-{n}-v1", f"hash-{n}-v1")
        assert row["last_seen_run"] == second
    assert store.prospects_by_ids([cid(1)])[cid(1)].first_seen_at is not None

    third = store.start_run("pull").run_id
    again = page(store, third, [sealed_person(1), sealed_person(2, "v2")])
    assert (again.written, again.unchanged) == (1, 1)
    assert stored_columns(engine, cid(1))["last_seen_run"] == second  # unchanged: not written
    changed = stored_columns(engine, cid(2))
    assert (changed["sealed"], changed["row_hash"], changed["last_seen_run"]) == (
        "enc2:sealed-2-v2",
        "hash-2-v2",
        third,
    )


def test_given_a_page_mixing_sealed_and_plain_rows_then_each_keeps_its_own_hash(
    store: TenantStore, engine: Engine
) -> None:
    run_id = store.start_run("pull").run_id
    plain = (cid(2), {"sealed": "enc2:sealed-2", "row_hash": "hash-2", "title": "CTO"})
    without_hash = (cid(3), {"sealed": "enc2:sealed-3", "row_hash": None})

    outcome = page(store, run_id, [sealed_person(1), plain, without_hash])

    assert outcome.written == 3
    assert stored_columns(engine, cid(1))["row_hash"] == "hash-1-v1"
    for n in (2, 3):  # hashed over the stored columns, as rows that are not sealed only
        row = stored_columns(engine, cid(n))
        assert row["row_hash"] not in {f"hash-{n}", None} and len(row["row_hash"]) > 8
    assert stored_columns(engine, cid(2))["title"] == "CTO"


@pytest.mark.parametrize(
    ("rows", "sealed_statement"),
    [
        ([sealed_person(1), sealed_person(2)], True),
        (
            [sealed_person(1), (cid(2), {"sealed": "enc2:s", "row_hash": "h", "title": "CTO"})],
            False,
        ),
        ([sealed_person(1), (cid(2), {"sealed": "enc2:s", "row_hash": None})], False),
        ([sealed_person(1), (cid(2), {"sealed": "enc2:s", "row_hash": ""})], False),
        ([sealed_person(1), (cid(2), {"sealed": None, "row_hash": "h"})], False),
        ([sealed_person(1), (cid(2), {"sealed": "enc2:s"})], False),
        ([sealed_person(1), (cid(2), {"row_hash": "h"})], False),
    ],
    ids=[
        "sealed",
        "extra-field",
        "no-hash",
        "empty-hash",
        "no-value",
        "hash-left-out",
        "value-left-out",
    ],
)
def test_given_a_page_then_only_rows_of_a_sealed_value_and_its_hash_take_the_sealed_statement(
    store: TenantStore, monkeypatch: pytest.MonkeyPatch, rows: list[Any], sealed_statement: bool
) -> None:
    """The sealed statement binds a row's sealed value and hash alone (the cheaper write);
    any other row makes the page go column by column, where its hash is computed."""
    used: list[str] = []
    for name in ("upsert_prospects", "upsert_sealed_prospects"):
        original = getattr(page_sql, name)

        def spy(*args: Any, _name: str = name, _original: Any = original) -> int:
            used.append(_name)
            return int(_original(*args))

        monkeypatch.setattr(page_sql, name, spy)

    assert page(store, store.start_run("pull").run_id, rows).written == 2

    expected = "upsert_sealed_prospects" if sealed_statement else "upsert_prospects"
    assert used == [expected]


def test_given_two_pages_of_a_run_then_its_counters_add_up_and_the_latest_stamps_and_checkpoint_win(
    store: TenantStore,
) -> None:
    run = store.start_run("pull")
    first = {"status": "running", "api_calls": 4, "api_used": 10, "api_limit": 1000}
    page(
        store,
        run.run_id,
        [person(1), person(2)],
        rejects=[(cid(3), "field 'email': first reason")],
        done=False,
        cursor=cid(3),
        rows_read=3,
        run_values=first,
    )
    later = {"status": "running", "api_calls": 5, "api_used": 11, "report_runs_remaining": 7}
    page(
        store,
        run.run_id,
        [person(4)],
        rejects=[(cid(3), "field 'email': second reason")],
        after=cid(3),
        cursor=cid(5),
        rows_read=5,
        run_values=later,
    )
    saved = store.get_run(run.run_id)
    assert saved is not None
    assert (saved.rows_read, saved.prospects_written, saved.memberships_added) == (5, 3, 3)
    assert (saved.rejected, saved.api_calls, saved.api_used, saved.api_limit) == (2, 5, 11, 1000)
    assert saved.report_runs_remaining == 7
    [checkpoint] = store.checkpoints(run.run_id).values()
    assert (checkpoint.last_key, checkpoint.rows_read, checkpoint.done) == (cid(5), 5, True)
    [rejected] = store.rejected_rows(run.run_id)
    assert rejected.reason == "field 'email': second reason"


def test_a_pages_run_update_refuses_a_column_it_does_not_own() -> None:
    with pytest.raises(ValueError, match=r"writes: customer_id$"):
        page_sql.add_to_run(None, "sqlite", "acme", "run1", {"customer_id": 1}, {})
    with pytest.raises(ValueError, match=r"writes: customer_id, finished_at$"):
        page_sql.add_to_run(
            None, "sqlite", "acme", "run1", {"rows_read": 1, "customer_id": 1}, {"finished_at": 1}
        )


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_an_empty_page_writes_no_prospect_and_touches_no_cursor(dialect: str) -> None:
    assert page_sql.upsert_prospects(None, dialect, "acme", "run1", "now", []) == 0
    assert page_sql.upsert_sealed_prospects(None, dialect, "acme", "run1", "now", []) == 0
    page_sql.record_rejects(None, dialect, "acme", "run1", REPORT, [])
