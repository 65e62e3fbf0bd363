"""Invariant 8 end to end: a person forgotten after a sync of the sandbox org never comes
back, however many full resyncs follow, while the CRM keeps returning them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from connector.privacy.forget import forget_subject
from connector.privacy.keys import decrypt_prospects
from connector.privacy.subjects import parse_subject
from connector.privacy.suppression import suppression_check
from connector.sync.pull import PullOptions, pull
from tests.e2e.conftest import Sandbox, connect, point_at, start_sandbox
from tests.e2e.truth import folder_reports, report_member_ids


@pytest.fixture
def small_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    org, server, key = start_sandbox(tmp_path / "sandbox", rows=300)
    yield Sandbox(org, server, key)
    server.stop()


@pytest.mark.usefixtures("suppression_key")
def test_given_a_forgotten_person_when_fully_resynced_from_the_sandbox_then_they_stay_gone(
    small_sandbox: Sandbox, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(small_sandbox, monkeypatch)
    demo = connect(small_sandbox, sqlite_engine, "demo")
    pull(demo.fm, demo.store, demo.crm(), PullOptions(suppressed=suppression_check(demo.store)))
    person = next(p for p in decrypt_prospects(demo.store, demo.store.prospects()) if p.email)
    assert person.email
    everyone = {p.crm_id for p in decrypt_prospects(demo.store, demo.store.prospects())}
    same_email = {
        p.crm_id
        for p in decrypt_prospects(demo.store, demo.store.prospects())
        if (p.email or "").lower() == person.email.lower()
    }

    forget_subject(demo.store, parse_subject("email", person.email or ""), "cli:ops")
    for _ in range(2):
        options = PullOptions(full=True, suppressed=suppression_check(demo.store))
        run = pull(demo.fm, demo.store, demo.crm(), options)

        assert run.status == "succeeded"
        assert run.suppressed >= 1
        kept = {p.crm_id for p in decrypt_prospects(demo.store, demo.store.prospects())}
        assert person.crm_id not in kept
        assert person.crm_id not in {m.crm_id for m in demo.store.memberships()}
        assert kept == everyone - same_email
    still_in_crm = any(
        person.crm_id in report_member_ids(small_sandbox.org, report)
        for report in folder_reports(small_sandbox.org, "Call_Lists")
    )
    assert still_in_crm, "the CRM must keep returning the person for this test to mean anything"


@pytest.mark.usefixtures("suppression_key")
def test_given_people_forgotten_while_a_sync_runs_then_none_of_them_is_left_when_it_ends(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org, server, key = start_sandbox(tmp_path / "sandbox", rows=2500)
    box = Sandbox(org, server, key)
    try:
        point_at(box, monkeypatch)
        demo = connect(box, engine, "demo")
        biggest = max(folder_reports(org, "Call_Lists"), key=lambda r: len(r.members))
        targets = sorted(report_member_ids(org, biggest))[::250]  # spread over every page
        emails = {cid: str(org.contacts[cid]["Email"]).lower() for cid in targets[1::2]}
        first_page, forgetting = threading.Event(), threading.Event()

        class Rendezvous:
            def report_started(self, report, index, count):  # type: ignore[no-untyped-def]
                pass

            def page_saved(self, report, rows_read, total):  # type: ignore[no-untyped-def]
                if not first_page.is_set():
                    first_page.set()
                    forgetting.wait(timeout=60)

            def report_finished(self, report, members):  # type: ignore[no-untyped-def]
                pass

        runs: list[object] = []
        options = PullOptions(suppressed=suppression_check(demo.store), observer=Rendezvous())
        sync = threading.Thread(
            target=lambda: runs.append(pull(demo.fm, demo.store, demo.crm(), options))
        )
        sync.start()
        assert first_page.wait(timeout=120)
        forgetting.set()
        for crm_id in targets:  # while the sync writes its next pages
            if crm_id in emails:
                forget_subject(demo.store, parse_subject("email", emails[crm_id]), "cli:ops")
            else:
                forget_subject(demo.store, parse_subject("crm_id", crm_id), "cli:ops")
        sync.join(timeout=300)

        assert runs and getattr(runs[0], "status", None) == "succeeded"
        kept = decrypt_prospects(demo.store, demo.store.prospects())
        assert not {p.crm_id for p in kept} & set(targets)
        assert not {(p.email or "").lower() for p in kept} & set(emails.values())
        assert not {m.crm_id for m in demo.store.memberships()} & set(targets)
    finally:
        server.stop()
