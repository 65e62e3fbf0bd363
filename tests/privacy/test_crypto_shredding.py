"""Crypto-shredding: personal fields are stored encrypted with the customer's own data key,
the key is wrapped by the key ring, and an erasure destroys it before anything else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from privacy_builders import ADA, BOB, CAROL, PEOPLE, REPORT_ID, FakeCrm, Person
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from connector.config import get_settings
from connector.errors import SecretError
from connector.fieldmap import load_field_map
from connector.privacy.erase import erase_customer, request_erasure
from connector.privacy.export import export_customer
from connector.privacy.field_crypto import PREFIX, ROW_PREFIX, NoKeyCipher
from connector.privacy.forget import forget_subject
from connector.privacy.keys import customer_cipher, decrypt_prospects, destroy_data_key
from connector.privacy.subjects import parse_subject
from connector.store import TenantStore, make_engine, migrate
from connector.store.models import Prospect
from connector.sync.activities import ActivityIn
from connector.sync.pull import PullOptions, pull
from connector.sync.push import plan_push, record_activities
from connector.vault import Vault
from connector.web import create_app
from connector.web.settings import WebSettings
from tests.helpers.stores import owner_of
from tests.web.read_api_builders import write_field_maps

REPO = Path(__file__).resolve().parents[2]
KNOWN = Person(
    "003000000000009AAA", "known.person.4711@example.org", "+14155550109", "Known", "Person"
)


#: ADA's email as the demo field map's email transform stores it (domain lowercased)
ADA_EMAIL = "Ada.Lovelace@example.com"


def no_revoke(_engine: Engine, _customer: str) -> None:
    return None


def pulled(
    engine: Engine, customer: str = "demo", people: tuple[Person, ...] = PEOPLE
) -> TenantStore:
    """`customer` after one pull of `people` through the demo field map."""
    fm = load_field_map("demo", REPO / "field_maps")
    store = TenantStore(engine, customer)
    run = pull(fm, store, FakeCrm(people))
    assert run.status == "succeeded"
    return store


def stored_prospects(engine: Engine, customer: str) -> dict[str, dict[str, str | None]]:
    """crm id -> (email, company, first_name, sealed) as the database holds them (raw SQL,
    owner)."""
    with owner_of(engine).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT crm_id, email, company, first_name, sealed FROM prospects "
                "WHERE customer_id = :c ORDER BY crm_id"
            ),
            {"c": customer},
        )
        return {
            row.crm_id: {
                "email": row.email,
                "company": row.company,
                "first_name": row.first_name,
                "sealed": row.sealed,
            }
            for row in rows
        }


def file_bytes(db: Path) -> bytes:
    """The database file and its WAL, as they are on disk."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_a_pull_stores_every_personal_field_encrypted(engine: Engine) -> None:
    store = pulled(engine)

    stored = stored_prospects(engine, "demo")
    assert set(stored) == {ADA.crm_id, BOB.crm_id, CAROL.crm_id}
    for row in stored.values():
        sealed = row.pop("sealed")
        assert sealed and sealed.startswith(ROW_PREFIX)
        assert set(row.values()) == {None}  # the fields live in the sealed value only
    assert ADA.email not in str(stored)
    opened = {p.crm_id: p for p in decrypt_prospects(store, store.prospects())}
    assert opened[ADA.crm_id].email == ADA_EMAIL
    assert opened[BOB.crm_id].first_name == "Bob"


def test_equal_values_are_stored_as_different_ciphertexts(engine: Engine) -> None:
    pulled(engine)
    sealed = [row["sealed"] for row in stored_prospects(engine, "demo").values()]
    # every person works for the same company: three rows, three different ciphertexts
    assert len(sealed) == 3 and len(set(sealed)) == 3


def test_a_second_pull_of_unchanged_people_rewrites_nothing(engine: Engine) -> None:
    store = pulled(engine)
    before = stored_prospects(engine, "demo")
    fm = load_field_map("demo", REPO / "field_maps")

    run = pull(fm, store, FakeCrm(PEOPLE), PullOptions(full=True))

    assert (run.prospects_written, run.prospects_unchanged) == (0, 3)
    assert stored_prospects(engine, "demo") == before


def test_one_customers_key_cannot_decrypt_anothers_values(engine: Engine) -> None:
    pulled(engine, "acme")
    beta = pulled(engine, "beta")
    acme_sealed = stored_prospects(engine, "acme")[ADA.crm_id]["sealed"]
    beta_sealed = stored_prospects(engine, "beta")[ADA.crm_id]["sealed"]
    assert acme_sealed is not None and acme_sealed != beta_sealed

    with pytest.raises(SecretError):
        customer_cipher(beta).open_record(ADA.crm_id, acme_sealed)


def test_plaintext_rows_from_before_encryption_read_and_are_encrypted_by_the_next_pull(
    engine: Engine,
) -> None:
    store = TenantStore(engine, "demo")
    with store.session() as session:
        session.add(
            Prospect(customer_id="demo", crm_id=ADA.crm_id, email=ADA.email, row_hash="old")
        )
    assert customer_cipher(store).open("email", ADA.email) == ADA.email

    pulled(engine, "demo")

    stored = stored_prospects(engine, "demo")[ADA.crm_id]
    assert stored["email"] is None
    assert stored["sealed"] is not None and stored["sealed"].startswith(ROW_PREFIX)


def test_after_erase_on_sqlite_the_raw_files_hold_no_email_and_no_key(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    store = pulled(engine, "acme", (*PEOPLE, KNOWN))
    pulled(engine, "beta")
    sealed = stored_prospects(engine, "acme")[KNOWN.crm_id]["sealed"]
    wrapped = store.wrapped_data_key()
    assert sealed is not None and wrapped is not None
    assert KNOWN.email.encode() not in file_bytes(db)  # encrypted at rest from the start
    assert wrapped.encode() in file_bytes(db)

    request_erasure(engine, "acme", "cli:ops")
    erase_customer(engine, "acme", revoke=no_revoke)

    data = file_bytes(db)
    assert KNOWN.email.encode() not in data
    assert sealed.encode() not in data
    assert wrapped.encode() not in data
    assert store.wrapped_data_key() is None
    with pytest.raises(SecretError):
        customer_cipher(store).open_record(KNOWN.crm_id, sealed)


def test_after_erase_on_postgres_the_key_is_gone_and_read_ciphertext_stays_unreadable(
    postgres_engine: Engine,
) -> None:
    store = pulled(postgres_engine, "acme")
    sealed = stored_prospects(postgres_engine, "acme")[ADA.crm_id]["sealed"]
    assert sealed is not None
    assert customer_cipher(store).open_record(ADA.crm_id, sealed)["email"] == ADA_EMAIL

    request_erasure(postgres_engine, "acme", "cli:ops")
    erase_customer(postgres_engine, "acme", revoke=no_revoke)

    with owner_of(postgres_engine).connect() as conn:
        keys = conn.execute(
            text("SELECT count(*) FROM customer_data_keys WHERE customer_id = 'acme'")
        ).scalar_one()
    assert keys == 0
    assert isinstance(customer_cipher(store), NoKeyCipher)
    with pytest.raises(SecretError):
        customer_cipher(store).open_record(ADA.crm_id, sealed)
    # nor does a key made afterwards (a new customer under the same id)
    with pytest.raises(SecretError):
        customer_cipher(store, create=True).open_record(ADA.crm_id, sealed)


def test_erase_destroys_the_data_key_before_it_deletes_any_row(engine: Engine) -> None:
    store = pulled(engine, "acme")
    seen: list[tuple[bool, int]] = []

    def revoke(_engine: Engine, _customer: str) -> None:
        seen.append((store.wrapped_data_key() is None, store.count(Prospect)))

    request_erasure(engine, "acme", "cli:ops")
    erase_customer(engine, "acme", revoke=revoke)

    assert seen == [(True, 3)]


def test_after_the_key_is_destroyed_the_read_paths_refuse_rather_than_show_ciphertext(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    store = pulled(sqlite_engine, "acme")
    destroy_data_key(store)

    with pytest.raises(SecretError, match="destroyed"):
        decrypt_prospects(store, store.prospects())
    with pytest.raises(SecretError):
        export_customer(store, tmp_path / "out", "cli:ops")


def test_rotate_re_wraps_every_data_key_and_the_data_still_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key_ring: str
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate(engine)
    stores = [pulled(engine, name) for name in ("acme", "beta")]
    sealed = stored_prospects(engine, "acme")[ADA.crm_id]["sealed"]
    assert sealed is not None
    new_key = Vault.generate_key()
    monkeypatch.setenv("CONNECTOR_DATABASE_URL", url)
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", f"{new_key},{key_ring}")
    get_settings.cache_clear()
    from connector.cli.auth import secrets_app

    result = CliRunner().invoke(secrets_app, ["rotate"])

    assert result.exit_code == 0, result.output
    assert "re-wrapped the data keys of 2 customers" in result.stdout
    only_new = Vault([new_key])
    for store in stores:
        wrapped = store.wrapped_data_key()
        assert wrapped is not None
        only_new.decrypt(wrapped)
        with pytest.raises(SecretError):
            Vault([key_ring]).decrypt(wrapped)
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", new_key)  # the old ring key is retired
    get_settings.cache_clear()
    assert customer_cipher(stores[0]).open_record(ADA.crm_id, sealed)["email"] == ADA_EMAIL
    assert stored_prospects(engine, "acme")[ADA.crm_id]["sealed"] == sealed


def test_the_data_key_is_never_exported(sqlite_engine: Engine, tmp_path: Path) -> None:
    store = pulled(sqlite_engine, "acme")
    wrapped = store.wrapped_data_key()
    assert wrapped is not None

    manifest = export_customer(store, tmp_path / "out", "cli:ops")

    exported = b"".join(path.read_bytes() for path in (tmp_path / "out").iterdir())
    assert wrapped.encode() not in exported
    assert manifest["excluded_columns"]["customer_data_keys"] == ["data_key_enc"]
    assert ADA_EMAIL.encode() in exported  # the export itself is decrypted
    assert PREFIX.encode() not in exported
    assert ROW_PREFIX.encode() not in exported
    assert b'"sealed"' not in exported


def test_the_key_is_made_once_even_when_two_writers_race(engine: Engine) -> None:
    store = TenantStore(engine, "acme")
    store.ensure_customer()
    first = store.add_wrapped_data_key("first")
    second = store.add_wrapped_data_key("second")
    assert first == second == "first"


def activity(number: int, subject: str | None, crm_id: str = BOB.crm_id) -> ActivityIn:
    return ActivityIn(
        id=uuid.UUID(int=number),
        kind="email",
        prospect_crm_id=crm_id,
        occurred_at=datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
        subject=subject,
    )


def stored_subjects(engine: Engine, customer: str) -> dict[str, str | None]:
    with owner_of(engine).connect() as conn:
        rows = conn.execute(
            text("SELECT activity_id, subject FROM activities WHERE customer_id = :c"),
            {"c": customer},
        )
        return {row.activity_id: row.subject for row in rows}


def test_activity_subjects_are_stored_encrypted_and_read_back_for_the_push(
    engine: Engine,
) -> None:
    store = pulled(engine, "demo")
    subject = "Call about Ada Lovelace's order"

    first = record_activities(store, [activity(1, subject), activity(2, subject)])
    again = record_activities(store, [activity(1, subject)])

    assert (first.created, again.unchanged) == (2, 1)
    stored = stored_subjects(engine, "demo")
    assert all(value and value.startswith(PREFIX) for value in stored.values())
    assert len(set(stored.values())) == 2  # same text, two activities, two ciphertexts
    fm = load_field_map("demo", REPO / "field_maps")
    records = plan_push(fm, store)
    # the demo map's email template is "Email: {subject}": the Task gets the plain text
    assert [r["Subject"] for r in records] == [f"Email: {subject}"] * 2


def test_forget_redacts_a_person_from_encrypted_subjects_of_other_activities(
    engine: Engine,
) -> None:
    store = pulled(engine, "demo")
    record_activities(store, [activity(1, f"Follow-up, ask for {ADA.email}")])

    forget_subject(store, parse_subject("email", ADA.email), "cli:ops")

    sealed = stored_subjects(engine, "demo")[str(uuid.UUID(int=1))]
    assert sealed is not None and sealed.startswith(PREFIX)
    opened = customer_cipher(store).open("subject", sealed) or ""
    assert ADA.email.lower() not in opened.lower()
    assert opened.startswith("Follow-up, ask for ")


def test_the_read_api_serves_pulled_people_decrypted(sqlite_engine: Engine, tmp_path: Path) -> None:
    pulled(sqlite_engine, "demo")
    token = "bootstrap-operator-token-for-tests"
    settings = WebSettings(
        operator_token=SecretStr(token),
        field_maps_dir=write_field_maps(tmp_path / "maps", "demo"),
    )
    client = TestClient(create_app(sqlite_engine, web_settings=settings))
    headers = {"Authorization": f"Bearer {token}"}

    page = client.get(
        f"/api/customers/demo/call-lists/{REPORT_ID}/prospects", headers=headers
    ).json()
    one = client.get(f"/api/customers/demo/prospects/{ADA.crm_id}", headers=headers).json()

    emails = {item["crm_id"]: item["email"] for item in page["items"]}
    assert emails[ADA.crm_id] == ADA_EMAIL
    assert one["email"] == ADA_EMAIL and one["first_name"] == "Ada"
    assert PREFIX not in str(page) + str(one)
    assert ROW_PREFIX not in str(page) + str(one)
