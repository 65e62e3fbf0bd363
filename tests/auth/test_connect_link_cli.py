"""`connector auth link`: prints a one-time link, and fails closed on every bad input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from connector.config import get_settings
from connector.crm.salesforce.connect_link import (
    CALLBACK_PATH,
    callback_url,
    check_public_url,
    check_ttl,
    hash_secret,
    is_token,
    new_token,
)
from connector.errors import ConfigError
from connector.store import TenantStore, make_engine
from connector.vault import Vault

LOGIN = "https://acme.my.salesforce.com"
PUBLIC = "https://connector.example.com"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private store, key ring and field maps dir holding a web-flow map for `acme`."""
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "acme.yaml").write_text(
        "customer: acme\n"
        f"crm: {{login_url: {LOGIN}, auth: web, client_id: 3MVG9-acme}}\n"
        "source: {report_folder: Call_Lists}\n"
        "prospect: {id: CONTACT_ID, fields: {email: EMAIL}}\n"
    )
    monkeypatch.setenv("CONNECTOR_FIELD_MAPS_DIR", str(maps))
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", Vault.generate_key())
    monkeypatch.setenv("CONNECTOR_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CONNECTOR_PUBLIC_URL", PUBLIC)
    get_settings.cache_clear()
    return tmp_path


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def invoke(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run `connector auth link ARGS` as the console script does (exit codes, one-line errors)."""
    from connector.cli import main

    def run(*args: str) -> Run:
        try:
            main(["auth", "link", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def test_link_prints_the_url_once_and_stores_only_its_hash(
    cli_env: Path, invoke: Callable[..., Run]
) -> None:
    result = invoke("acme", "--ttl", "2h")

    assert result.code == 0, result.err
    (url,) = result.out.strip().splitlines()
    assert url.startswith(f"{PUBLIC}/connect/ccl_")
    token = url.rsplit("/", 1)[1]
    assert f"{PUBLIC}{CALLBACK_PATH}" in result.err
    store = TenantStore(make_engine(f"sqlite:///{cli_env / 'cli.db'}"), "acme")
    link = store.connect_link_by_token(hash_secret(token))
    assert link is not None and link.client_id == "3MVG9-acme" and link.login_url == LOGIN
    assert link.created_by.startswith("cli:")
    assert (link.expires_at - link.created_at).total_seconds() == 7200
    db = (cli_env / "cli.db").read_bytes()
    assert token.encode() not in db
    actions = [e.action for e in store.audit_events()]
    assert "connect_link_issue" in actions


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({"CONNECTOR_PUBLIC_URL": ""}, ("acme",), "CONNECTOR_PUBLIC_URL is not set"),
        ({"CONNECTOR_PUBLIC_URL": "http://connector.example.com"}, ("acme",), "plain http"),
        ({"CONNECTOR_PUBLIC_URL": "http://127.0.0.1:8000"}, ("acme",), "loopback"),
        ({}, ("acme", "--ttl", "8d"), "at most 7d"),
        ({}, ("acme", "--ttl", "soon"), "--ttl"),
        ({}, ("acme", "--login-url", "https://evil.example.com"), "not a Salesforce host"),
        ({}, ("acmee",), "unknown customer 'acmee'"),
    ],
)
def test_link_refuses_with_one_line_and_exit_2(
    cli_env: Path,
    invoke: Callable[..., Run],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    args: tuple[str, ...],
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()

    result = invoke(*args)

    assert result.code == 2, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.err
    assert "/connect/ccl_" not in result.out + result.err


@pytest.mark.parametrize(
    ("url", "fine"),
    [
        ("https://connector.example.com/", True),
        ("https://connector.example.com/base", True),
        ("http://localhost:8000", True),
        ("http://10.0.0.5", False),
        ("https://user:pw@connector.example.com", False),
        ("https://connector.example.com/?x=1", False),
        ("ftp://connector.example.com", False),
        (None, False),
    ],
)
def test_the_public_url_rule(url: str | None, fine: bool) -> None:
    if fine:
        assert not check_public_url(url).endswith("/")
    else:
        with pytest.raises(ConfigError, match="CONNECTOR_PUBLIC_URL"):
            check_public_url(url)


def test_a_loopback_callback_is_for_a_loopback_login_host_only() -> None:
    assert callback_url("http://127.0.0.1:8000", "https://127.0.0.1:8443").endswith(CALLBACK_PATH)
    assert callback_url(PUBLIC, LOGIN) == f"{PUBLIC}{CALLBACK_PATH}"
    with pytest.raises(ConfigError, match="loopback"):
        callback_url("https://localhost:8000", LOGIN)


def test_tokens_are_random_and_recognised_by_shape() -> None:
    first, second = new_token(), new_token()
    assert first != second and is_token(first) and is_token(second)
    assert not is_token(first[:-1]) and not is_token(first + "x")
    from datetime import timedelta

    with pytest.raises(ConfigError):
        check_ttl(timedelta(0))
