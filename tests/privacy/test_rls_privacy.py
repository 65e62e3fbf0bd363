"""Row-level security from the privacy angle: inside one customer's transaction on
PostgreSQL, raw SQL can neither see, export, forget nor erase another customer's rows."""

from __future__ import annotations

from privacy_builders import ADA, NOW, rows_of, seed_customer
from sqlalchemy import text
from sqlalchemy.engine import Engine

from connector.store.admin import AdminStore
from connector.store.models import TENANT_TABLES


def test_a_raw_query_under_one_customer_sees_no_row_of_another_in_any_tenant_table(
    postgres_engine: Engine,
) -> None:
    acme = seed_customer(postgres_engine, "acme")
    seed_customer(postgres_engine, "beta")

    with acme.session() as session:
        for model in TENANT_TABLES:
            name = model.__tablename__
            owners = session.execute(text(f"SELECT DISTINCT customer_id FROM {name}")).scalars()  # noqa: S608
            assert set(owners) == {"acme"}, name
            hidden = session.execute(
                text(f"SELECT count(*) FROM {name} WHERE customer_id = 'beta'")  # noqa: S608
            )
            assert hidden.scalar_one() == 0, name


def test_a_raw_delete_under_one_customer_cannot_forget_or_erase_another_customers_rows(
    postgres_engine: Engine,
) -> None:
    acme = seed_customer(postgres_engine, "acme")
    seed_customer(postgres_engine, "beta")
    before = rows_of(postgres_engine, "beta")

    with acme.session() as session:
        session.execute(text("DELETE FROM prospects WHERE crm_id = :id"), {"id": ADA.crm_id})
        for model in TENANT_TABLES:
            session.execute(text(f"DELETE FROM {model.__tablename__}"))  # noqa: S608

    assert rows_of(postgres_engine, "beta") == before
    assert sum(rows_of(postgres_engine, "acme").values()) == 0


def test_a_tenant_session_sees_no_other_customers_erasure_record(postgres_engine: Engine) -> None:
    acme = seed_customer(postgres_engine, "acme")
    admin = AdminStore(postgres_engine)
    for customer in ("acme", "beta"):
        admin.save_erasure_request(customer, due_at=NOW, requested_by="cli:ops", requested_at=NOW)

    with acme.session() as session:
        owners = session.execute(text("SELECT customer_id FROM erasures")).scalars()
        assert list(owners) == ["acme"]
    assert [e.customer_id for e in admin.list_erasures()] == ["acme", "beta"]
