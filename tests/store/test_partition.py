"""Invariant 1 (partition): a TenantStore sees and writes only its own customer's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, text, update
from sqlalchemy.engine import Engine
from sqlmodel import select

from connector.errors import PartitionViolation
from connector.store import TenantStore
from connector.store.models import TENANT_TABLES, Customer, Membership, Prospect


def _seed(store: TenantStore, ids: list[str]) -> None:
    store.ensure_customer()
    run = store.start_run("pull")
    store.save_page(
        run_id=run.run_id,
        report_id="00O000000000001AAA",
        after=None,
        cursor=ids[-1],
        done=True,
        rows_read=len(ids),
        mapped=[(i, {"email": f"{i}@example.com"}) for i in ids],
        rejects=[],
    )


def test_tenant_tables_all_key_on_customer_id_first() -> None:
    for model in TENANT_TABLES:
        primary = [c.name for c in model.__table__.primary_key.columns]  # type: ignore[attr-defined]
        assert primary[0] == "customer_id", model.__tablename__


def test_second_customers_rows_are_invisible_to_the_first(engine: Engine) -> None:
    acme, beta = TenantStore(engine, "acme"), TenantStore(engine, "beta")
    _seed(acme, ["003A", "003B"])
    _seed(beta, ["003C"])

    assert [p.crm_id for p in acme.prospects()] == ["003A", "003B"]
    assert [p.crm_id for p in beta.prospects()] == ["003C"]
    assert acme.count(Customer) == 1
    assert acme.count(Membership) == 2
    with acme.session() as session:
        assert session.exec(select(Prospect).where(Prospect.crm_id == "003C")).all() == []
        assert session.get(Prospect, ("beta", "003C")) is None


def test_a_tenant_table_read_in_a_subquery_or_a_join_is_filtered_too(engine: Engine) -> None:
    acme, beta = TenantStore(engine, "acme"), TenantStore(engine, "beta")
    _seed(acme, ["003A", "003B"])
    _seed(beta, ["003C", "003D", "003E"])
    members = select(func.count()).select_from(Membership).scalar_subquery()
    in_a_list = select(Membership.crm_id).where(Membership.report_id == "00O000000000001AAA")
    with acme.session() as session:
        # the outer FROM is the customer row; the count reads memberships in a subquery
        assert session.exec(select(Customer.customer_id, members)).all() == [("acme", 2)]
        assert session.exec(select(func.count()).where(Membership.crm_id.in_(in_a_list))).one() == 2
        joined = select(Prospect.crm_id).join(Membership, Membership.crm_id == Prospect.crm_id)
        assert sorted(session.exec(joined).all()) == ["003A", "003B"]


def test_bulk_update_and_delete_through_one_store_leave_the_other_alone(engine: Engine) -> None:
    acme, beta = TenantStore(engine, "acme"), TenantStore(engine, "beta")
    _seed(acme, ["003A"])
    _seed(beta, ["003A"])
    with acme.session() as session:
        session.execute(update(Prospect).values(email="changed@example.com"))
        session.execute(delete(Membership))
    assert beta.prospects()[0].email == "003A@example.com"
    assert beta.count(Membership) == 1
    assert acme.count(Membership) == 0


def test_writing_another_customers_row_is_a_partition_violation(engine: Engine) -> None:
    acme = TenantStore(engine, "acme")
    with pytest.raises(PartitionViolation), acme.session() as session:
        session.add(Prospect(customer_id="beta", crm_id="003X", row_hash="x"))
    with pytest.raises(PartitionViolation), acme.session() as session:
        acme.upsert(
            session,
            Prospect,
            [{"customer_id": "beta", "crm_id": "003X", "row_hash": "x"}],
            ["crm_id"],
        )
    assert TenantStore(engine, "beta").count(Prospect) == 0


@pytest.mark.parametrize(
    "bad", ["", "A", "Acme", "a b", "../x", "x" * 80, "acme;drop", "salesforce", "resync"]
)
def test_invalid_customer_ids_are_refused(sqlite_engine: Engine, bad: str) -> None:
    with pytest.raises(PartitionViolation):
        TenantStore(sqlite_engine, bad)


def test_raw_sql_in_one_customers_context_sees_nothing_of_another_on_postgres(
    postgres_engine: Engine,
) -> None:
    acme, beta = TenantStore(postgres_engine, "acme"), TenantStore(postgres_engine, "beta")
    _seed(acme, ["003A", "003B"])
    _seed(beta, ["003C"])
    with acme.session() as session:
        rows = session.execute(text("SELECT customer_id, crm_id FROM prospects")).all()
        assert sorted(r.crm_id for r in rows) == ["003A", "003B"]
        assert {r.customer_id for r in rows} == {"acme"}
        hidden = session.execute(text("SELECT count(*) FROM prospects WHERE customer_id = 'beta'"))
        assert hidden.scalar_one() == 0
        changed = session.execute(
            text("UPDATE prospects SET email = 'x' WHERE customer_id = 'beta'")
        )
        assert changed.rowcount == 0
    with pytest.raises(Exception, match="row-level security"), acme.session() as session:
        session.execute(
            text(
                "INSERT INTO memberships (customer_id, report_id, crm_id, added_at) "
                "VALUES ('beta', 'r', 'c', now())"
            )
        )
    assert beta.count(Membership) == 1


def test_the_prospects_table_has_exactly_the_field_maps_store_fields() -> None:
    from connector.fieldmap import STORE_FIELDS
    from connector.store.models import PROSPECT_FIELDS

    bookkeeping = {
        "customer_id",
        "crm_id",
        "row_hash",
        "sealed",  # the fields below, sealed in one value
        "first_seen_at",
        "updated_at",
        "last_seen_run",
    }
    columns = {c.name for c in Prospect.__table__.columns} - bookkeeping  # type: ignore[attr-defined]
    assert tuple(STORE_FIELDS) == PROSPECT_FIELDS
    assert columns == set(PROSPECT_FIELDS)


def test_a_worker_whose_lease_was_taken_over_cannot_save_a_page(engine: Engine) -> None:
    from datetime import timedelta

    from connector.errors import LeaseLost
    from connector.store.models import utcnow

    store = TenantStore(engine, "acme")
    store.ensure_customer()
    run = store.start_run("pull")
    stale = store.acquire_lease(
        "worker-a", timedelta(seconds=1), now=utcnow() - timedelta(minutes=5)
    )
    fresh = store.acquire_lease("worker-b", timedelta(minutes=5))
    assert stale is not None and fresh is not None and fresh > stale

    def save(fence: int) -> None:
        store.save_page(
            run_id=run.run_id,
            report_id="00O000000000001AAA",
            after=None,
            cursor="003A",
            done=True,
            rows_read=1,
            mapped=[("003A", {"email": "a@example.com"})],
            rejects=[],
            fence=fence,
        )

    with pytest.raises(LeaseLost):
        save(stale)
    assert store.count(Prospect) == 0
    save(fresh)
    assert store.count(Prospect) == 1


def test_every_table_keyed_by_customer_is_a_tenant_table() -> None:
    from sqlmodel import SQLModel

    listed = {model.__tablename__ for model in TENANT_TABLES}
    keyed = {t.name for t in SQLModel.metadata.sorted_tables if "customer_id" in t.columns}
    # the erasure record outlives the partition on purpose; an access token is found by its
    # hash before any customer is known (erasing the customer deletes its tokens)
    assert keyed - listed == {"erasures", "access_tokens"}


def test_the_secret_scrubber_keeps_a_bounded_window() -> None:
    from connector import errors

    for n in range(errors._MAX_SECRETS + 50):
        errors.register_secret(f"token-{n:08d}-abcdef")
    assert len(errors._secrets) == errors._MAX_SECRETS
    assert errors.scrub(f"x token-{errors._MAX_SECRETS + 49:08d}-abcdef y") == "x *** y"
