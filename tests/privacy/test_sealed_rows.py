"""Sealed rows: a pulled prospect's fields are stored as one encrypted value (`sealed`), which
every reader opens; rows in the older forms (one `enc1:` value per field, or plaintext) still
read, and the next pull seals them."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from privacy_builders import ADA, BOB, CAROL, PEOPLE, REPORT_ID, FakeCrm, Person
from sqlalchemy import text
from sqlalchemy.engine import Engine

from connector.errors import SecretError
from connector.fieldmap import load_field_map
from connector.privacy.export import export_subject
from connector.privacy.field_crypto import PREFIX, ROW_PREFIX, FieldCipher, new_data_key
from connector.privacy.forget import forget_subject
from connector.privacy.keys import customer_cipher, decrypt_prospects
from connector.privacy.subjects import parse_subject
from connector.store import TenantStore
from connector.store.models import PROSPECT_FIELDS, Prospect
from connector.sync.activities import ActivityIn
from connector.sync.pull import PullOptions, pull
from connector.sync.push import record_activities
from tests.helpers.stores import owner_of

REPO = Path(__file__).resolve().parents[2]
#: ADA's email as the demo field map's email transform stores it (domain lowercased)
ADA_EMAIL = "Ada.Lovelace@example.com"


def pulled(
    engine: Engine, customer: str = "demo", people: tuple[Person, ...] = PEOPLE
) -> TenantStore:
    fm = load_field_map("demo", REPO / "field_maps")
    store = TenantStore(engine, customer)
    run = pull(fm, store, FakeCrm(people), PullOptions(full=True))
    assert run.status == "succeeded"
    return store


def raw_rows(engine: Engine, customer: str) -> dict[str, dict[str, str | None]]:
    """crm id -> every person column, `sealed` and `row_hash`, as stored (raw SQL, owner)."""
    names = ", ".join((*PROSPECT_FIELDS, "sealed", "row_hash"))
    with owner_of(engine).connect() as conn:
        rows = conn.execute(
            text(f"SELECT crm_id, {names} FROM prospects WHERE customer_id = :c"),  # noqa: S608
            {"c": customer},
        )
        return {row.crm_id: dict(row._mapping) for row in rows}


def set_raw(engine: Engine, customer: str, crm_id: str, **values: str | None) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    with owner_of(engine).begin() as conn:
        conn.execute(
            text(
                f"UPDATE prospects SET {assignments} "  # noqa: S608
                "WHERE customer_id = :customer AND crm_id = :crm_id"
            ),
            {**values, "customer": customer, "crm_id": crm_id},
        )


def opened(store: TenantStore) -> dict[str, Prospect]:
    return {p.crm_id: p for p in decrypt_prospects(store, store.prospects())}


def test_a_pulled_row_holds_no_plaintext_and_no_per_field_ciphertext(engine: Engine) -> None:
    pulled(engine)

    rows = raw_rows(engine, "demo")

    assert set(rows) == {ADA.crm_id, BOB.crm_id, CAROL.crm_id}
    for row in rows.values():
        assert all(row[name] is None for name in PROSPECT_FIELDS)
        sealed = row["sealed"]
        assert sealed is not None and sealed.startswith(ROW_PREFIX)
        assert PREFIX not in sealed
    # every column but the sealed value, as text; the sealed value as the bytes it encodes
    # (its base64 text holds any short word now and then by chance: a random key per run)
    others = json.dumps(
        {crm_id: {k: v for k, v in row.items() if k != "sealed"} for crm_id, row in rows.items()}
    )
    ciphertexts = [
        base64.urlsafe_b64decode(str(row["sealed"])[len(ROW_PREFIX) :]) for row in rows.values()
    ]
    for person in PEOPLE:
        assert person.email.split("@")[0] not in others
        assert person.phone not in others and person.last_name not in others
        for whole in (person.email, person.phone, person.last_name):  # 7 bytes or more
            assert all(whole.encode() not in raw for raw in ciphertexts)


def test_export_and_forget_find_a_person_in_sealed_rows(engine: Engine, tmp_path: Path) -> None:
    store = pulled(engine)

    export_subject(store, parse_subject("email", ADA.email), tmp_path / "s", "cli:ops")
    forgot = forget_subject(store, parse_subject("phone", BOB.phone), "cli:ops")

    [line] = (tmp_path / "s" / "prospects.jsonl").read_text().splitlines()
    exported = json.loads(line)
    assert exported["crm_id"] == ADA.crm_id
    assert (exported["email"], exported["first_name"]) == (ADA_EMAIL, "Ada")
    assert "sealed" not in exported
    assert forgot.prospects == 1
    assert set(raw_rows(engine, "demo")) == {ADA.crm_id, CAROL.crm_id}


def test_forget_redacts_a_name_read_from_the_sealed_row(engine: Engine) -> None:
    store = pulled(engine)
    note = ActivityIn(
        id=uuid.UUID(int=1),
        kind="email",
        prospect_crm_id=BOB.crm_id,
        occurred_at=datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
        subject="Asked Carol Danvers to join the call",
    )
    record_activities(store, [note])

    forget_subject(store, parse_subject("crm_id", CAROL.crm_id), "cli:ops")

    with owner_of(engine).connect() as conn:
        subject = conn.execute(text("SELECT subject FROM activities")).scalar_one()
    plain = customer_cipher(store).open("subject", subject) or ""
    assert plain.startswith("Asked ") and "Carol Danvers" not in plain


def test_rows_in_the_older_forms_read_and_the_next_pull_seals_them(engine: Engine) -> None:
    store = TenantStore(engine, "demo")
    store.ensure_customer()
    cipher = customer_cipher(store, create=True)
    per_field = {  # one enc1 value per column, as before sealed rows
        name: cipher.seal_cell(name, ADA.crm_id, value)
        for name, value in {"email": ADA_EMAIL, "first_name": "Ada"}.items()
    }
    with store.session() as session:
        session.add(Prospect(customer_id="demo", crm_id=ADA.crm_id, row_hash="old", **per_field))
        bob = Prospect(customer_id="demo", crm_id=BOB.crm_id, row_hash="old", email=BOB.email)
        session.add(bob)
    before = raw_rows(engine, "demo")
    assert before[ADA.crm_id]["email"].startswith(PREFIX)  # type: ignore[union-attr]

    old = opened(store)
    assert (old[ADA.crm_id].email, old[ADA.crm_id].first_name) == (ADA_EMAIL, "Ada")
    assert old[BOB.crm_id].email == BOB.email
    assert forget_subject(store, parse_subject("email", ADA.email), "cli:ops").prospects == 1

    pulled(engine, people=(BOB, CAROL))

    rows = raw_rows(engine, "demo")
    assert set(rows) == {BOB.crm_id, CAROL.crm_id}
    bob = rows[BOB.crm_id]
    assert bob["email"] is None and (bob["sealed"] or "").startswith(ROW_PREFIX)
    assert opened(store)[BOB.crm_id].email == BOB.email


def test_a_sealed_value_copied_to_another_row_or_customer_does_not_open(engine: Engine) -> None:
    acme = pulled(engine, "acme")
    beta = pulled(engine, "beta")
    acme_ada = raw_rows(engine, "acme")[ADA.crm_id]["sealed"]

    set_raw(engine, "acme", BOB.crm_id, sealed=acme_ada)
    set_raw(engine, "beta", ADA.crm_id, sealed=acme_ada)

    for store in (acme, beta):
        with pytest.raises(SecretError):
            opened(store)
    set_raw(engine, "beta", ADA.crm_id, sealed=None, email=acme_ada)  # nor as a field value
    with pytest.raises(SecretError):
        opened(beta)


def test_a_change_to_any_one_field_changes_the_sealed_value_and_the_hash() -> None:
    cipher = FieldCipher("acme", new_data_key())
    base = {name: f"{name} value" for name in PROSPECT_FIELDS}
    forms = {cipher.seal_record(ADA.crm_id, base)}
    for name in PROSPECT_FIELDS:
        for value in (f"{name} valuf", "", None):
            forms.add(cipher.seal_record(ADA.crm_id, {**base, name: value}))
    forms.add(cipher.seal_record(BOB.crm_id, base))

    assert len(forms) == 3 * len(PROSPECT_FIELDS) + 2
    assert len({sealed for sealed, _ in forms}) == len(forms)
    assert len({digest for _, digest in forms}) == len(forms)
    # while nothing changes, neither does the stored form
    assert cipher.seal_record(ADA.crm_id, base) == cipher.seal_record(ADA.crm_id, dict(base))


def test_a_pull_rewrites_exactly_the_changed_row_with_a_new_hash(engine: Engine) -> None:
    pulled(engine)
    before = raw_rows(engine, "demo")
    fm = load_field_map("demo", REPO / "field_maps")
    moved = Person(BOB.crm_id, BOB.email, "+14155550199", BOB.first_name, BOB.last_name)

    store = TenantStore(engine, "demo")
    run = pull(fm, store, FakeCrm((ADA, moved, CAROL)), PullOptions(full=True))

    after = raw_rows(engine, "demo")
    assert (run.prospects_written, run.prospects_unchanged) == (1, 2)
    assert after[BOB.crm_id]["sealed"] != before[BOB.crm_id]["sealed"]
    assert after[BOB.crm_id]["row_hash"] != before[BOB.crm_id]["row_hash"]
    # the change hash is the sealed value's nonce (a keyed digest of the whole row)
    for row in after.values():
        raw = base64.urlsafe_b64decode((row["sealed"] or "")[len(ROW_PREFIX) :])
        assert row["row_hash"] == raw[:12].hex()
    assert {k: after[k] for k in (ADA.crm_id, CAROL.crm_id)} == {
        k: before[k] for k in (ADA.crm_id, CAROL.crm_id)
    }


def test_a_plain_column_next_to_a_sealed_value_is_in_the_change_hash(engine: Engine) -> None:
    store = TenantStore(engine, "demo")
    store.ensure_customer()
    sealed, digest = customer_cipher(store, create=True).seal_record(ADA.crm_id, {"email": "a"})
    run = store.start_run("pull")

    def save(**extra: str) -> int:
        row = {"sealed": sealed, "row_hash": digest, **extra}
        outcome = store.save_page(
            run_id=run.run_id,
            report_id=REPORT_ID,
            after=None,
            cursor=None,
            done=True,
            rows_read=1,
            mapped=[(ADA.crm_id, row)],
            rejects=[],
        )
        return outcome.written

    assert save() == 1
    assert save() == 0
    assert save(title="CTO") == 1
    assert raw_rows(engine, "demo")[ADA.crm_id]["title"] == "CTO"
    # and it reads next to the sealed fields
    [prospect] = decrypt_prospects(store, store.prospects())
    assert (prospect.email, prospect.title) == ("a", "CTO")


def test_a_sealed_row_names_its_customer_even_under_the_same_key() -> None:
    key = new_data_key()
    sealed, _ = FieldCipher("acme", key).seal_record(ADA.crm_id, {"email": ADA_EMAIL})

    assert FieldCipher("acme", key).open_record(ADA.crm_id, sealed) == {"email": ADA_EMAIL}
    with pytest.raises(SecretError):
        FieldCipher("beta", key).open_record(ADA.crm_id, sealed)
