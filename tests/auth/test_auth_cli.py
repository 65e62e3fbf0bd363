"""`connector auth …` and `connector secrets …` through Typer, against the sandbox org."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from auth_helpers import INTEGRATION_USER, KeyPair, Sandbox, free_port
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from connector.config import get_settings
from connector.errors import ConfigError, SecretError
from connector.store import TenantStore, make_engine
from connector.store.models import Connection
from connector.vault import Vault

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A private database and key ring for the CLI, through the environment."""
    key = Vault.generate_key()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", key)
    monkeypatch.setenv("CONNECTOR_DATABASE_URL", url)
    get_settings.cache_clear()
    return {"key": key, "url": url}


def invoke(app_name: str, *args: str) -> Result:
    from connector.cli.auth import auth_app, secrets_app

    app = auth_app if app_name == "auth" else secrets_app
    return runner.invoke(app, list(args))


def engine_of(cli_env: dict[str, Any]) -> Engine:
    return make_engine(cli_env["url"])


def test_generate_key_prints_one_fernet_key() -> None:
    result = invoke("secrets", "generate-key")
    assert result.exit_code == 0
    Fernet(result.stdout.strip().encode())


def test_rotate_re_encrypts_every_customers_secrets_under_the_newest_key(
    cli_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from connector.store import migrate

    engine = engine_of(cli_env)
    migrate(engine)
    old = Vault([cli_env["key"]])
    for customer in ("acme", "beta"):
        TenantStore(engine, customer).save_connection(
            Connection(
                customer_id=customer,
                auth="web",
                login_url="https://login.salesforce.com",
                refresh_token_enc=old.encrypt(f"refresh-of-{customer}"),
                access_token_enc=old.encrypt(f"access-of-{customer}"),
            )
        )
    new_key = Vault.generate_key()
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", f"{new_key},{cli_env['key']}")
    get_settings.cache_clear()

    result = invoke("secrets", "rotate")

    assert result.exit_code == 0, result.output
    assert "re-encrypted 4 secrets of 2 customers" in result.stdout
    only_new = Vault([new_key])
    for customer in ("acme", "beta"):
        saved = TenantStore(engine, customer).get_connection()
        assert saved is not None
        assert only_new.decrypt(saved.refresh_token_enc or "") == f"refresh-of-{customer}"
        assert only_new.decrypt(saved.access_token_enc or "") == f"access-of-{customer}"


def test_rotate_with_a_ring_missing_the_old_key_fails_naming_the_secret(
    cli_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from connector.store import migrate

    engine = engine_of(cli_env)
    migrate(engine)
    TenantStore(engine, "acme").save_connection(
        Connection(
            customer_id="acme",
            auth="jwt",
            login_url="https://login.salesforce.com",
            private_key_enc=Vault([cli_env["key"]]).encrypt("-----BEGIN PRIVATE KEY-----"),
        )
    )
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", Vault.generate_key())
    get_settings.cache_clear()
    result = invoke("secrets", "rotate")
    assert isinstance(result.exception, SecretError)
    assert "private key of customer 'acme'" in str(result.exception)


def test_without_a_key_ring_auth_commands_fail_with_the_fix(
    tmp_path: Path, key_pair: KeyPair
) -> None:
    key_file = tmp_path / "k.pem"
    key_file.write_text(key_pair.private_pem)
    result = invoke(
        "auth",
        "jwt",
        "acme",
        "--client-id",
        "c",
        "--username",
        "u",
        "--key",
        str(key_file),
        "--login-url",
        "https://login.salesforce.com",
    )
    assert isinstance(result.exception, SecretError)
    assert "connector secrets generate-key" in str(result.exception)


def test_auth_jwt_refuses_a_plain_http_login_url(
    cli_env: dict[str, Any], tmp_path: Path, key_pair: KeyPair
) -> None:
    key_file = tmp_path / "k.pem"
    key_file.write_text(key_pair.private_pem)
    result = invoke(
        "auth",
        "jwt",
        "acme",
        "--client-id",
        "c",
        "--username",
        "u",
        "--key",
        str(key_file),
        "--login-url",
        "http://login.example.com",
    )
    assert isinstance(result.exception, ConfigError)


def test_keygen_writes_a_private_key_0600_and_a_certificate(tmp_path: Path) -> None:
    result = invoke("auth", "keygen", "--out", str(tmp_path), "--name", "acme")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "acme.key").stat().st_mode & 0o777 == 0o600
    assert b"BEGIN CERTIFICATE" in (tmp_path / "acme.crt").read_bytes()
    assert "BEGIN" not in result.stdout


def test_jwt_connect_status_and_revoke_through_the_cli(
    cli_env: dict[str, Any], sandbox: Sandbox, key_pair: KeyPair, tmp_path: Path
) -> None:
    from connector.sandbox import ConnectedApp

    sandbox.org.register_app(
        ConnectedApp(
            client_id="3MVG9-cli-jwt",
            jwt_certificate_pem=key_pair.certificate_pem,
            pre_authorized_usernames=[INTEGRATION_USER],
        )
    )
    key_file = tmp_path / "acme.key"
    key_file.write_text(key_pair.private_pem)

    result = invoke(
        "auth",
        "jwt",
        "acme",
        "--client-id",
        "3MVG9-cli-jwt",
        "--username",
        INTEGRATION_USER,
        "--key",
        str(key_file),
        "--login-url",
        sandbox.base_url,
        "--ca-bundle",
        sandbox.ca_path,
    )
    assert result.exit_code == 0, result.output
    org_id = sandbox.org.organization_id
    assert org_id in result.stdout

    saved = TenantStore(engine_of(cli_env), "acme").get_connection()
    assert saved is not None and saved.auth == "jwt"
    token = Vault([cli_env["key"]]).decrypt(saved.access_token_enc or "")

    status = invoke("auth", "status")
    assert status.exit_code == 0, status.output
    assert "acme" in status.stdout and org_id in status.stdout and "active" in status.stdout
    assert token not in status.stdout and token.split("!")[-1][:20] not in status.stdout

    revoked = invoke("auth", "revoke", "acme")
    assert revoked.exit_code == 0, revoked.output
    assert "access token" in revoked.stdout
    assert "reconnect_needed" in invoke("auth", "status", "acme").stdout


def test_login_runs_the_browser_flow_and_stores_the_refresh_token(
    cli_env: dict[str, Any], sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connector.sandbox import ConnectedApp

    port = free_port()
    sandbox.org.register_app(
        ConnectedApp(client_id="3MVG9-cli-web", redirect_uris=[f"http://127.0.0.1:{port}/callback"])
    )
    opened: list[str] = []

    def fake_browser(url: str) -> bool:
        opened.append(url)
        requests.get(url, verify=sandbox.ca_path, timeout=10).raise_for_status()
        return True

    monkeypatch.setattr("connector.cli.auth.webbrowser.open", fake_browser)
    result = invoke(
        "auth",
        "login",
        "acme",
        "--client-id",
        "3MVG9-cli-web",
        "--login-url",
        sandbox.base_url,
        "--port",
        str(port),
        "--timeout",
        "20",
        "--ca-bundle",
        sandbox.ca_path,
    )
    assert result.exit_code == 0, result.output
    assert len(opened) == 1
    saved = TenantStore(engine_of(cli_env), "acme").get_connection()
    assert saved is not None and saved.auth == "web" and saved.refresh_token_enc
    assert saved.organization_id == sandbox.org.organization_id
