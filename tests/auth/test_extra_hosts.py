"""A customer's own CRM hosts (`crm.extra_hosts`): allowed for that customer, exactly, only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from auth_helpers import KeyPair

from connector.crm.salesforce.oauth_jwt import fetch_jwt_token
from connector.crm.salesforce.tls import check_crm_url, check_instance_url
from connector.crm.salesforce.token_store import StoredTokenSource
from connector.errors import ConfigError
from connector.fieldmap import InvalidFieldMapError, load_field_map_file
from connector.store import TenantStore
from connector.store.models import Connection
from connector.vault import Vault
from tests.fieldmap.fieldmap_builders import VALID_MAP

LOGIN = "https://login.acme-crm.example"
INSTANCE = "https://api.acme-crm.example"
HOSTS = ("login.acme-crm.example", "api.acme-crm.example")


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def test_given_an_extra_host_then_that_exact_host_is_accepted() -> None:
    assert check_crm_url(LOGIN, what="login URL", extra_hosts=HOSTS) == LOGIN
    assert check_crm_url("https://LOGIN.acme-crm.example/", extra_hosts=HOSTS) == (
        "https://LOGIN.acme-crm.example"
    )
    assert check_instance_url(INSTANCE, LOGIN, HOSTS) == INSTANCE


def test_a_host_written_with_the_root_dot_is_the_same_host() -> None:
    # "host." is the fully qualified spelling of "host": either side may carry the dot
    assert check_crm_url("https://login.acme-crm.example./", extra_hosts=HOSTS) == (
        "https://login.acme-crm.example."
    )
    assert check_crm_url(LOGIN, extra_hosts=("LOGIN.acme-crm.example.",)) == LOGIN
    with pytest.raises(ConfigError):
        check_crm_url("https://login.acme-crm.example.evil", extra_hosts=HOSTS)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.login.acme-crm.example",  # a subdomain is another host
        "https://acme-crm.example",  # so is the parent
        "http://login.acme-crm.example",  # still https only
        "https://169.254.169.254",
    ],
)
def test_given_extra_hosts_then_any_other_host_is_still_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        check_crm_url(url, what="login URL", extra_hosts=HOSTS)


def test_without_the_setting_the_host_is_refused_and_the_message_names_the_setting() -> None:
    with pytest.raises(ConfigError) as refused:
        check_crm_url(LOGIN, what="login URL")
    assert "crm.extra_hosts" in str(refused.value)
    with pytest.raises(ConfigError):
        check_instance_url(INSTANCE, "https://login.salesforce.com")


def test_given_extra_hosts_then_the_token_endpoint_and_its_instance_url_are_reached(
    http: responses.RequestsMock, key_pair: KeyPair
) -> None:
    body = {"access_token": "00Dx!tok", "instance_url": INSTANCE, "token_type": "Bearer"}
    http.post(f"{LOGIN}/services/oauth2/token", json=body)
    token = fetch_jwt_token(
        login_url=LOGIN,
        client_id="3MVG9-client",
        username="u@acme.example",
        private_key_pem=key_pair.private_pem,
        audience="https://login.salesforce.com",
        extra_hosts=HOSTS,
    )
    assert token.instance_url == INSTANCE


def test_given_an_instance_url_outside_the_extra_hosts_then_the_token_answer_is_refused(
    http: responses.RequestsMock, key_pair: KeyPair
) -> None:
    body = {"access_token": "00Dx!tok", "instance_url": "https://10.0.0.5", "token_type": "Bearer"}
    http.post(f"{LOGIN}/services/oauth2/token", json=body)
    with pytest.raises(ConfigError, match="instance URL"):
        fetch_jwt_token(
            login_url=LOGIN,
            client_id="3MVG9-client",
            username="u@acme.example",
            private_key_pem=key_pair.private_pem,
            audience="https://login.salesforce.com",
            extra_hosts=HOSTS,
        )


def test_without_extra_hosts_nothing_is_sent_to_the_host(key_pair: KeyPair) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.post(f"{LOGIN}/services/oauth2/token", json={})
        with pytest.raises(ConfigError):
            fetch_jwt_token(
                login_url=LOGIN,
                client_id="3MVG9-client",
                username="u@acme.example",
                private_key_pem=key_pair.private_pem,
                audience="https://login.salesforce.com",
            )
        assert len(http.calls) == 0


def with_extra_hosts(tmp_path: Path, value: str) -> Path:
    text = VALID_MAP.replace("  auth: jwt\n", f"  auth: jwt\n  extra_hosts: {value}\n")
    path = tmp_path / "acme.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_field_map_setting_is_read_as_lower_case_host_names(tmp_path: Path) -> None:
    fm = load_field_map_file(with_extra_hosts(tmp_path, "[Login.Acme-CRM.example]"), env={})
    assert fm.crm.extra_hosts == ("login.acme-crm.example",)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("['*.acme-crm.example']", ["wildcard", "name each host exactly"]),
        ("[https://login.acme-crm.example]", ["not a bare host name", "without https://"]),
        ("[login.acme-crm.example:8443]", ["not a bare host name"]),
        ("['169.254.169.254']", ["IP address"]),
        ("[localhost_]", ["not a host name", "at least one dot"]),
    ],
)
def test_a_bad_extra_host_names_the_file_line_key_and_fix(
    tmp_path: Path, value: str, words: list[str]
) -> None:
    path = with_extra_hosts(tmp_path, value)
    with pytest.raises(InvalidFieldMapError) as caught:
        load_field_map_file(path, env={})
    text = str(caught.value)
    assert f"{path}:6 crm.extra_hosts[0]:" in text, text
    for word in words:
        assert word in text, text


def _stored_web_connection(store: TenantStore, vault: Vault) -> None:
    store.save_connection(
        Connection(
            customer_id="acme",
            auth="web",
            login_url=LOGIN,
            client_id="3MVG9-client",
            refresh_token_enc=vault.encrypt("5Aep-refresh"),
        )
    )


def test_a_stored_connection_refreshes_at_its_extra_host_only_with_the_setting(
    http: responses.RequestsMock, store: TenantStore, vault: Vault
) -> None:
    _stored_web_connection(store, vault)
    body = {"access_token": "00Dx!fresh", "instance_url": INSTANCE, "token_type": "Bearer"}
    http.post(f"{LOGIN}/services/oauth2/token", json=body)

    with pytest.raises(ConfigError):
        StoredTokenSource(store, vault).access_token()
    tokens = StoredTokenSource(store, vault, extra_hosts=HOSTS)

    assert tokens.access_token() == "00Dx!fresh"
    assert tokens.instance_url == INSTANCE


def test_erasure_revokes_the_token_at_the_customers_extra_host(
    http: responses.RequestsMock,
    store: TenantStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from connector.config import get_settings
    from connector.privacy.revoke import revoke_crm_tokens

    key = Vault.generate_key()
    monkeypatch.setenv("CONNECTOR_SECRET_KEYS", key)
    monkeypatch.setenv("CONNECTOR_FIELD_MAPS_DIR", str(tmp_path))
    get_settings.cache_clear()
    with_extra_hosts(tmp_path, "[login.acme-crm.example]")
    _stored_web_connection(store, Vault([key]))
    http.post(f"{LOGIN}/services/oauth2/revoke", status=200)
    try:
        assert revoke_crm_tokens(store.engine, "acme") is None
    finally:
        get_settings.cache_clear()
    assert len(http.calls) == 1
    assert store.get_connection().refresh_token_enc is None  # type: ignore[union-attr]
