"""Invariant 8 (forgotten stays forgotten): a forgotten subject is deleted, kept only as a
keyed hash, and never comes back through a later sync."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from privacy_builders import ADA, BOB, CAROL, PEOPLE, FakeCrm, rows_of, seed_customer
from sqlalchemy.engine import Engine
from sqlmodel import select

from connector.config import get_settings
from connector.crm.base import ReportPage
from connector.errors import SecretError
from connector.fieldmap import load_field_map
from connector.privacy.forget import forget_subject
from connector.privacy.keys import customer_cipher
from connector.privacy.subjects import Subject, parse_subject
from connector.privacy.suppression import load_suppression_keys, suppression_check
from connector.store import TenantStore
from connector.store.models import Activity, Membership, Prospect, Suppression
from connector.sync.pull import PullOptions, pull
from connector.vault import Vault

REPO = Path(__file__).resolve().parents[2]

FORGET_ADA = [
    pytest.param("email", "  ADA.lovelace@example.COM ", id="email"),
    pytest.param("phone", "+1 415-555-0101", id="phone"),
    pytest.param("crm_id", ADA.crm_id, id="crm_id"),
]


@pytest.mark.usefixtures("suppression_key")
@pytest.mark.parametrize(("kind", "raw"), FORGET_ADA)
def test_given_a_subject_when_forgotten_then_their_rows_go_and_the_check_matches_them(
    engine: Engine, kind: str, raw: str
) -> None:
    store = seed_customer(engine, "acme")
    other = seed_customer(engine, "beta")
    before_other = rows_of(engine, "beta")

    outcome = forget_subject(store, parse_subject(kind, raw), "cli:ops")

    assert outcome.prospects == 1
    assert [p.crm_id for p in store.prospects()] == [BOB.crm_id, CAROL.crm_id]
    assert {m.crm_id for m in store.memberships()} == {BOB.crm_id, CAROL.crm_id}
    with store.session() as session:
        activities = {a.prospect_crm_id for a in session.exec(select(Activity))}
    assert activities == {BOB.crm_id, CAROL.crm_id}
    assert store.rejected_rows("runacme") == []
    assert rows_of(engine, "beta") == before_other
    assert ADA.crm_id in {p.crm_id for p in other.prospects()}

    check = suppression_check(store)
    assert check(ADA.crm_id, {})
    assert check("003999999999999AAA", {"email": ADA.email}) == (kind == "email")
    assert check("003999999999999AAA", {"mobile_phone": ADA.phone}) == (kind == "phone")
    for person in (BOB, CAROL):
        assert not check(person.crm_id, {"email": person.email, "phone": person.phone})


@pytest.mark.usefixtures("suppression_key")
def test_the_suppression_list_holds_no_plain_personal_data(sqlite_engine: Engine) -> None:
    store = seed_customer(sqlite_engine, "acme")
    forget_subject(store, parse_subject("email", ADA.email), "cli:ops")
    forget_subject(store, parse_subject("phone", BOB.phone), "cli:ops")

    with store.session() as session:
        stored = [(s.subject_hash, s.kind) for s in session.exec(select(Suppression))]
    text = repr(stored).lower()
    for value in (ADA.email.lower(), ADA.crm_id.lower(), BOB.phone, "lovelace", "4155550102"):
        assert value not in text
    assert all(len(digest) == 64 for digest, _ in stored)


@pytest.mark.usefixtures("suppression_key")
def test_forgetting_is_audited_with_the_kind_never_the_identifier(sqlite_engine: Engine) -> None:
    store = seed_customer(sqlite_engine, "acme")
    forget_subject(store, parse_subject("email", ADA.email), "cli:ops")

    [event] = [e for e in store.audit_events() if e.action == "forget"]
    assert event.actor == "cli:ops"
    assert '"kind": "email"' in (event.detail or "")
    assert "lovelace" not in (event.detail or "").lower()


@pytest.mark.usefixtures("suppression_key")
def test_given_a_forgotten_person_when_the_crm_keeps_returning_them_then_they_never_come_back(
    engine: Engine,
) -> None:
    fm = load_field_map("demo", REPO / "field_maps")
    store = TenantStore(engine, "demo")
    crm = FakeCrm(PEOPLE)
    pull(fm, store, crm, PullOptions(suppressed=suppression_check(store)))
    assert store.count(Prospect) == 3

    forget_subject(store, parse_subject("email", ADA.email), "cli:ops")
    for full in (True, False, True):
        run = pull(fm, store, crm, PullOptions(full=full, suppressed=suppression_check(store)))
        assert run.status == "succeeded"
        assert run.suppressed == 1
        assert ADA.crm_id not in {p.crm_id for p in store.prospects()}
        assert ADA.crm_id not in {m.crm_id for m in store.memberships()}
        assert store.count(Membership) == 2


@pytest.mark.usefixtures("suppression_key")
def test_a_forgotten_crm_record_stays_skipped_when_its_email_changes_in_the_crm(
    sqlite_engine: Engine,
) -> None:
    store = seed_customer(sqlite_engine, "acme")
    forget_subject(store, parse_subject("email", ADA.email), "cli:ops")

    check = suppression_check(store)
    assert check(ADA.crm_id, {"email": "new-address@example.org"})


@pytest.mark.usefixtures("suppression_key")
def test_forgetting_someone_not_yet_synced_suppresses_them_in_the_first_sync(
    sqlite_engine: Engine,
) -> None:
    fm = load_field_map("demo", REPO / "field_maps")
    store = TenantStore(sqlite_engine, "demo")
    outcome = forget_subject(store, parse_subject("phone", CAROL.phone), "cli:ops")
    assert outcome.prospects == 0

    pull(fm, store, FakeCrm(PEOPLE), PullOptions(suppressed=suppression_check(store)))

    assert {p.crm_id for p in store.prospects()} == {ADA.crm_id, BOB.crm_id}


def test_forget_hashes_with_the_customers_own_key_and_needs_no_suppression_key(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    store = seed_customer(sqlite_engine, "acme")
    outcome = forget_subject(store, parse_subject("crm_id", ADA.crm_id), "cli:ops")

    own = customer_cipher(store).lookup_hash(f"crm_id:{ADA.crm_id}")
    assert outcome.hashes == 1
    assert store.suppression_hashes() == {"0" * 64, own}
    assert not (tmp_path / "home" / "suppression.key").exists()
    assert suppression_check(store)(ADA.crm_id, {})


def test_another_customers_key_does_not_match_a_forgotten_person(engine: Engine) -> None:
    acme = seed_customer(engine, "acme")
    beta = seed_customer(engine, "beta")
    forget_subject(acme, parse_subject("email", ADA.email), "cli:ops")

    assert suppression_check(acme)("x", {"email": ADA.email})
    assert not suppression_check(beta).matches(Subject("email", ADA.email.lower()))
    assert acme.suppression_hashes().isdisjoint(
        {customer_cipher(beta).lookup_hash(f"email:{ADA.email.lower()}")}
    )


def test_without_a_key_ring_forget_is_refused_on_postgres(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = seed_customer(postgres_engine, "acme", data_key=False)
    monkeypatch.delenv("CONNECTOR_SECRET_KEYS")
    get_settings.cache_clear()
    with pytest.raises(SecretError, match="CONNECTOR_SECRET_KEYS"):
        forget_subject(store, parse_subject("crm_id", ADA.crm_id), "cli:ops")
    assert store.count(Prospect) == 3


def test_entries_hashed_with_the_installation_wide_key_still_match(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTOR_SUPPRESSION_KEY", "k" * 32)
    get_settings.cache_clear()
    store = seed_customer(sqlite_engine, "acme")
    forget_subject(store, parse_subject("email", ADA.email), "cli:ops", load_suppression_keys())

    assert suppression_check(store)("x", {"email": ADA.email})


def test_a_sync_whose_key_ring_does_not_fit_the_data_key_stops_rather_than_resurrect(
    sqlite_engine: Engine,
) -> None:
    store = seed_customer(sqlite_engine, "acme")
    forget_subject(store, parse_subject("crm_id", ADA.crm_id), "cli:ops")
    wrapped = store.wrapped_data_key()
    assert wrapped is not None
    foreign = Vault([Vault.generate_key()]).encrypt("k" * 43 + "=")
    assert store.replace_wrapped_data_key(wrapped, foreign)

    with pytest.raises(SecretError, match="data key"):
        suppression_check(store)


def test_a_key_derived_from_the_secret_ring_keeps_matching_after_a_new_ring_key_is_added(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = "A" * 43 + "=", "B" * 43 + "="
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", old)
    from connector.config import get_settings

    get_settings.cache_clear()
    store = seed_customer(sqlite_engine, "acme")
    forget_subject(store, parse_subject("email", BOB.email), "cli:ops")

    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", f"{new},{old}")
    get_settings.cache_clear()
    keys = load_suppression_keys()
    assert len(keys.keys) == 2
    assert suppression_check(store)("x", {"email": BOB.email.upper()})
    assert not (tmp := Path(get_settings().home) / "suppression.key").exists(), tmp


def test_subject_repr_hides_the_identifier() -> None:
    assert "example" not in repr(Subject("email", "a@example.com"))


@pytest.mark.usefixtures("suppression_key")
def test_forgetting_drops_a_resume_cursor_that_is_the_persons_id(sqlite_engine: Engine) -> None:
    from connector.store.models import Checkpoint

    store = seed_customer(sqlite_engine, "acme")
    run = store.start_run("pull")
    store.save_page(
        run_id=run.run_id,
        report_id="00O000000000009AAA",
        after=None,
        cursor=ADA.crm_id,
        done=False,
        rows_read=1,
        mapped=[(ADA.crm_id, {"email": ADA.email})],
        rejects=[],
    )
    forget_subject(store, parse_subject("crm_id", ADA.crm_id), "cli:ops")

    with store.session() as session:
        cursors = [c.last_key for c in session.exec(select(Checkpoint))]
    assert ADA.crm_id not in cursors


@pytest.mark.usefixtures("suppression_key")
def test_a_15_character_id_forgets_the_record_stored_with_18(sqlite_engine: Engine) -> None:
    store = seed_customer(sqlite_engine, "acme")
    outcome = forget_subject(store, parse_subject("crm_id", ADA.crm_id[:15]), "cli:ops")

    assert outcome.prospects == 1
    assert ADA.crm_id not in {p.crm_id for p in store.prospects()}
    assert suppression_check(store)(ADA.crm_id, {})
    assert suppression_check(store)(ADA.crm_id[:15], {})


@pytest.mark.usefixtures("suppression_key")
def test_forget_by_phone_finds_a_number_stored_without_country_code(sqlite_engine: Engine) -> None:
    store = seed_customer(sqlite_engine, "acme")
    with store.session() as session:
        row = session.get(Prospect, ("acme", BOB.crm_id))
        assert row is not None
        row.phone = "(415) 555-0102"  # a phone column mapped without the phone transform
        session.add(row)

    outcome = forget_subject(store, parse_subject("phone", BOB.phone), "cli:ops", region="US")

    assert outcome.prospects == 1
    assert BOB.crm_id not in {p.crm_id for p in store.prospects()}


class ForgetsAfterFetch(FakeCrm):
    """A CRM whose pages are fetched, then someone is forgotten before the page is stored."""

    def __init__(self, forget: Callable[[], object]) -> None:
        super().__init__(PEOPLE)
        self.forget = forget

    def iter_report_pages(self, *args: Any, **kwargs: Any) -> Iterator[ReportPage]:
        for page in super().iter_report_pages(*args, **kwargs):
            self.forget()
            yield page


@pytest.mark.usefixtures("suppression_key")
@pytest.mark.parametrize("kind", ["email", "crm_id"])
def test_given_a_person_forgotten_between_the_page_fetch_and_its_write_then_the_sync_skips_them(
    engine: Engine, kind: str
) -> None:
    fm = load_field_map("demo", REPO / "field_maps")
    store = TenantStore(engine, "demo")
    check = suppression_check(store)  # loaded when the sync starts: nobody is forgotten yet
    ada = ADA.email if kind == "email" else ADA.crm_id
    crm = ForgetsAfterFetch(lambda: forget_subject(store, parse_subject(kind, ada), "cli:ops"))

    run = pull(fm, store, crm, PullOptions(suppressed=check))

    assert run.status == "succeeded"
    assert {p.crm_id for p in store.prospects()} == {BOB.crm_id, CAROL.crm_id}
    assert ADA.crm_id not in {m.crm_id for m in store.memberships()}
    assert run.suppressed == 1
    assert store.get_run(run.run_id).suppressed == 1  # type: ignore[union-attr]
