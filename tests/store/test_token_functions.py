"""Access tokens on PostgreSQL: the application role has no privilege on `access_tokens` and
reaches tokens only through the store's functions; `TokenStore` answers the same on both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ProgrammingError

from connector.errors import ConfigError
from connector.privacy.erase import erase_customer, request_erasure
from connector.store import TenantStore
from connector.store.models import utcnow
from connector.store.rls import ADMIN_FUNCTIONS
from connector.store.tokens import TokenStore, hash_token
from tests.conftest import PostgresStore
from tests.helpers.key_ring import key_ring  # noqa: F401  (autouse)


def issue(engine: Engine, name: str, customer: str = "acme") -> str:
    issued = TokenStore(engine).issue(
        role="platform", customer_id=customer, name=name, ttl=timedelta(hours=1), created_by="t"
    )
    return issued.plaintext


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM access_tokens",
        "SELECT count(*) FROM access_tokens",
        "UPDATE access_tokens SET revoked_at = now()",
        "DELETE FROM access_tokens",
        "INSERT INTO access_tokens (token_id, token_hash, name, role, customer_id, created_at, "
        "created_by, expires_at) VALUES ('x', 'y', 'n', 'operator', 'acme', now(), 't', now())",
    ],
)
def test_the_application_role_cannot_touch_the_token_table(
    postgres: PostgresStore, statement: str
) -> None:
    issue(postgres.app, "ops")
    with postgres.app.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
        conn.execute(text(statement))


def test_issue_find_list_and_revoke_work_through_the_functions(postgres: PostgresStore) -> None:
    tokens = TokenStore(postgres.app)
    plaintext = issue(postgres.app, "ops")
    issue(postgres.app, "other", customer="globex")

    found = tokens.find(plaintext)
    assert found is not None and found.name == "ops" and found.token_hash == hash_token(plaintext)
    assert tokens.find(plaintext + "x") is None
    assert [t.name for t in tokens.list()] == ["other", "ops"]
    assert [t.name for t in tokens.list("acme")] == ["ops"]
    with pytest.raises(ConfigError, match="already named 'ops'"):
        issue(postgres.app, "ops")

    assert tokens.revoke("ops", revoked_by="cli:test") == 1
    assert tokens.revoke("ops", revoked_by="cli:test") == 0
    revoked = tokens.find(plaintext)
    assert revoked is not None and revoked.revoked_by == "cli:test"
    issue(postgres.app, "ops")  # the name is free again once revoked
    assert tokens.revoke(revoked.token_id, revoked_by="cli:test") == 0


def test_a_listing_never_carries_the_hashes(postgres: PostgresStore) -> None:
    plaintext = issue(postgres.app, "ops")
    [listed] = TokenStore(postgres.app).list()
    assert listed.token_hash == ""
    with postgres.app.connect() as conn:
        rows = conn.execute(text("SELECT * FROM connector_tokens()")).all()
    assert hash_token(plaintext) not in repr(rows)


def test_the_token_erase_function_deletes_only_the_bound_customers_tokens(
    postgres: PostgresStore,
) -> None:
    issue(postgres.app, "ops")
    with postgres.app.begin() as conn:  # not bound to any customer: deletes nothing
        assert conn.execute(text("SELECT connector_token_erase()")).scalar_one() == 0
    assert len(TokenStore(postgres.app).list()) == 1
    assert {"connector_tokens", "connector_token_erase"} <= set(ADMIN_FUNCTIONS)


def test_erasing_a_customer_deletes_its_tokens_and_no_one_elses(engine: Engine) -> None:
    now = utcnow()
    for customer in ("acme", "globex"):
        TenantStore(engine, customer).ensure_customer()
    issue(engine, "acme-ops")
    issue(engine, "globex-ops", customer="globex")

    request_erasure(engine, "acme", "cli:ops", now=now)
    outcome = erase_customer(engine, "acme", now, revoke=lambda *_: None)

    assert outcome.tables["access_tokens"] == 1
    assert [t.name for t in TokenStore(engine).list()] == ["globex-ops"]
