"""Row-level security is a wall a tenant session cannot step over, on PostgreSQL.

Each test opens a transaction bound to `acme` as the application's login role (which owns
nothing), runs an escape attempt through that session's raw connection, and then looks for
`beta`'s prospects and encrypted tokens with raw SQL. None may appear, whether the attempt was
refused by the database or accepted and merely had no effect.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

from connector.errors import ConfigError
from connector.store import TenantStore, check_schema, make_engine
from connector.store.engine import schema_status
from connector.store.models import Connection as CrmConnection
from connector.store.models import Prospect
from connector.store.rls import binding_tag, derive_key
from tests.conftest import PostgresStore


def seed(engine: Engine, customer: str) -> None:
    with TenantStore(engine, customer).session() as session:
        session.add(Prospect(customer_id=customer, crm_id=f"003{customer}", row_hash="h"))
        session.add(
            CrmConnection(
                customer_id=customer,
                auth="jwt",
                login_url="https://login.example.com",
                refresh_token_enc=f"enc-refresh-{customer}",
                access_token_enc=f"enc-access-{customer}",
            )
        )


@pytest.fixture
def acme(postgres_engine: Engine) -> Iterator[Connection]:
    """The raw connection of a transaction bound to acme, with beta's rows in the store."""
    seed(postgres_engine, "acme")
    seed(postgres_engine, "beta")
    with TenantStore(postgres_engine, "acme").session() as session:
        yield session.connection()
        session.rollback()


def visible_customers(conn: Connection) -> set[str]:
    """Every customer id the transaction can see in prospects and in the token table."""
    prospects = conn.execute(text("SELECT customer_id FROM prospects")).scalars()
    tokens = conn.execute(
        text("SELECT customer_id FROM connections WHERE refresh_token_enc IS NOT NULL")
    ).scalars()
    beta = conn.execute(
        text(
            "SELECT (SELECT count(*) FROM prospects WHERE customer_id = 'beta') "
            "+ (SELECT count(*) FROM connections WHERE customer_id = 'beta')"
        )
    ).scalar_one()
    assert beta == 0
    return set(prospects) | set(tokens)


def attempt(conn: Connection, sql: str) -> str | None:
    """Run `sql` in a savepoint; the database's refusal (if any), else None."""
    savepoint = conn.begin_nested()
    try:
        conn.execute(text(sql))
    except DBAPIError as exc:
        savepoint.rollback()
        return str(exc.orig)
    savepoint.commit()
    return None


def table_owner(conn: Connection) -> str:
    return str(
        conn.execute(
            text("SELECT tableowner FROM pg_tables WHERE tablename = 'prospects'")
        ).scalar_one()
    )


def test_the_bound_session_sees_its_own_rows_and_no_other(acme: Connection) -> None:
    assert visible_customers(acme) == {"acme"}


ACCEPTED_BUT_USELESS = [
    "SELECT set_config('connector.customer_id', 'beta', true)",
    "SELECT set_config('connector.customer_id', 'beta', false)",
    "SET LOCAL connector.customer_id = 'beta'",
    "SET connector.customer_id = 'beta'",
    "RESET ROLE",
    "SET ROLE NONE",
    "SET SESSION AUTHORIZATION DEFAULT",
    "RESET ROLE; SELECT set_config('connector.customer_id', 'beta', true)",
    "SELECT set_config('connector.tenant_tag', '', true), "
    "set_config('connector.customer_id', 'beta', true)",
    "RESET ALL",
]


@pytest.mark.parametrize("sql", ACCEPTED_BUT_USELESS)
def test_a_setting_or_role_change_from_sql_reveals_no_other_customer(
    acme: Connection, sql: str
) -> None:
    attempt(acme, sql)

    assert visible_customers(acme) <= {"acme"}


REFUSED = [
    ("SELECT * FROM connector_tenant_key", "permission denied"),
    ("DROP POLICY tenant_isolation ON prospects", "must be owner"),
    ("ALTER POLICY tenant_isolation ON connections USING (true)", "must be owner"),
    ("ALTER TABLE prospects NO FORCE ROW LEVEL SECURITY", "must be owner"),
    ("ALTER TABLE connections DISABLE ROW LEVEL SECURITY", "must be owner"),
    ("CREATE POLICY open_door ON prospects USING (true)", "must be owner"),
]


@pytest.mark.parametrize(("sql", "refusal"), REFUSED)
def test_a_statement_that_would_open_the_wall_is_refused(
    acme: Connection, sql: str, refusal: str
) -> None:
    error = attempt(acme, sql)

    assert error is not None
    assert any(word in error for word in refusal.split("|")), error
    assert visible_customers(acme) == {"acme"}


def test_becoming_the_owner_is_refused(acme: Connection) -> None:
    owner = table_owner(acme)

    for sql in (
        f'SET ROLE "{owner}"',
        f'SET LOCAL ROLE "{owner}"',
        f'SET SESSION AUTHORIZATION "{owner}"',
        f'GRANT "{owner}" TO CURRENT_USER',
    ):
        error = attempt(acme, sql)
        assert error is not None, sql
        assert "permission denied" in error or "must be superuser" in error, error
    assert visible_customers(acme) == {"acme"}


def test_a_forged_setting_makes_the_binding_function_return_nothing(acme: Connection) -> None:
    own_tag = acme.execute(text("SELECT current_setting('connector.tenant_tag')")).scalar_one()
    pid, started = acme.execute(
        text(
            "SELECT pg_backend_pid(), "
            "(extract(epoch FROM transaction_timestamp()) * 1000000)::bigint"
        )
    ).one()
    guessed_key = derive_key("a key the attacker guessed, long enough to be accepted")
    for tag in (own_tag, binding_tag(guessed_key, "beta", pid, started), "", "0" * 64):
        acme.execute(
            text(
                "SELECT set_config('connector.customer_id', 'beta', true), set_config(:n, :t, true)"
            ),
            {"n": "connector.tenant_tag", "t": tag},
        )
        assert acme.execute(text("SELECT connector_current_tenant()")).scalar_one() is None
        assert visible_customers(acme) == set()


def test_a_tag_copied_into_a_later_transaction_binds_nothing(acme: Connection) -> None:
    tag = acme.execute(text("SELECT current_setting('connector.tenant_tag')")).scalar_one()

    acme.execute(text("COMMIT"))  # raw SQL ends the bound transaction; the next one is unbound
    acme.execute(
        text("SELECT set_config('connector.customer_id', 'acme', true), set_config(:n, :t, true)"),
        {"n": "connector.tenant_tag", "t": tag},
    )

    assert visible_customers(acme) == set()


def test_a_write_for_another_customer_is_refused(acme: Connection) -> None:
    error = attempt(
        acme,
        "INSERT INTO prospects (customer_id, crm_id, row_hash, first_seen_at, updated_at) "
        "VALUES ('beta', '003planted', 'h', now(), now())",
    )
    assert error is not None and "row-level security" in error
    changed = acme.execute(
        text("UPDATE connections SET refresh_token_enc = 'x' WHERE customer_id = 'beta'")
    )
    assert changed.rowcount == 0


#: Tables with a customer column that row-level security cannot partition (see the test).
UNPARTITIONED = frozenset({"access_tokens"})


def test_every_table_with_a_customer_column_forces_row_level_security(
    postgres: PostgresStore,
) -> None:
    from sqlmodel import SQLModel

    # access_tokens is found by a token's hash before any customer is known, so it cannot be
    # partitioned by the tenant binding; it holds hashes and scopes, no personal data
    names = [
        t.name
        for t in SQLModel.metadata.sorted_tables
        if "customer_id" in t.c and t.name not in UNPARTITIONED
    ]
    with postgres.app.connect() as conn:
        rows = dict(
            conn.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity "
                    "AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid "
                    "AND p.polname = 'tenant_isolation') "
                    "FROM pg_class c WHERE c.relname = ANY(:names)"
                ),
                {"names": names},
            ).all()
        )
    assert len(names) >= 15
    assert rows == dict.fromkeys(names, True)


def test_the_application_role_owns_nothing_and_bypasses_nothing(postgres: PostgresStore) -> None:
    with postgres.app.connect() as conn:
        owned = conn.execute(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                "WHERE r.rolname = current_user"
            )
        ).scalar_one()
        role = conn.execute(
            text(
                "SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles "
                "WHERE rolname = current_user"
            )
        ).one()
    assert owned == 0
    assert tuple(role) == (False, False, False)


def test_start_up_refuses_an_application_url_that_could_step_over_the_wall(
    postgres: PostgresStore,
) -> None:
    owner = make_engine(postgres.owner_url, tenant_key=postgres.tenant_key)
    try:
        with pytest.raises(ConfigError, match=r"superuser|owns the store's tables"):
            check_schema(owner)
    finally:
        owner.dispose()


def test_start_up_refuses_a_tenant_key_other_than_the_stores(postgres: PostgresStore) -> None:
    wrong = make_engine(postgres.app_url, tenant_key="another key, long enough to be accepted")
    try:
        with pytest.raises(ConfigError, match="CONNECTOR_TENANT_KEY is not the key"):
            check_schema(wrong)
    finally:
        wrong.dispose()


def test_without_a_tenant_key_a_tenant_session_is_refused(postgres: PostgresStore) -> None:
    keyless = make_engine(postgres.app_url)
    try:
        assert schema_status(keyless).up_to_date
        with pytest.raises(ConfigError, match="CONNECTOR_TENANT_KEY"):
            TenantStore(keyless, "acme").count(Prospect)
    finally:
        keyless.dispose()


@pytest.mark.parametrize(
    ("attributes", "grant_owner", "refusal"),
    [
        ("BYPASSRLS", False, "bypasses row-level security"),
        ("", True, "owns the store's tables"),
    ],
)
def test_start_up_refuses_a_role_that_bypasses_or_may_become_the_owner(
    postgres: PostgresStore, attributes: str, grant_owner: bool, refusal: str
) -> None:
    role = f"{postgres.app_role}_x"
    url = make_url(postgres.app_url).set(username=role)
    with postgres.owner.connect() as conn:
        owner = table_owner(conn)
        conn.execute(text(f"CREATE ROLE {role} LOGIN {attributes} PASSWORD '{url.password}'"))
        conn.execute(text(f"GRANT SELECT ON alembic_version TO {role}"))
        if grant_owner:
            conn.execute(text(f'GRANT "{owner}" TO {role}'))
        conn.commit()
    risky = make_engine(url.render_as_string(hide_password=False), tenant_key=postgres.tenant_key)
    try:
        with pytest.raises(ConfigError, match=refusal):
            check_schema(risky)
    finally:
        risky.dispose()
        with postgres.owner.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
            conn.commit()


def test_the_cross_customer_lists_work_for_the_application_role_through_their_functions(
    postgres_engine: Engine,
) -> None:
    from connector.store.admin import AdminStore
    from connector.store.connections import connected_customer_ids
    from connector.store.models import Customer

    seed(postgres_engine, "acme")
    seed(postgres_engine, "beta")
    with TenantStore(postgres_engine, "gamma").session() as session:
        session.add(Customer(customer_id="gamma"))

    assert connected_customer_ids(postgres_engine) == ["acme", "beta"]
    assert AdminStore(postgres_engine).customer_ids() == ["gamma"]
    with postgres_engine.connect() as conn:  # unbound: the tables themselves show nothing
        assert conn.execute(text("SELECT count(*) FROM connections")).scalar_one() == 0
