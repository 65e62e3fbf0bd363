"""Invariant 4 (TLS): CRM URLs are https; plain http only for loopback, with a warning."""

from __future__ import annotations

import logging

import pytest

from connector.crm.salesforce.tls import check_crm_url, check_instance_url, is_loopback_host
from connector.errors import ConfigError


def test_plain_http_to_loopback_is_warned_about_once_per_process(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("connector.crm.salesforce.tls._WARNED_PLAIN_HTTP", set())
    with caplog.at_level(logging.WARNING, logger="connector.crm.salesforce.tls"):
        for _ in range(3):
            check_crm_url("http://127.0.0.1:8080", what="login URL")

    assert [r.getMessage() for r in caplog.records if "plain http" in r.getMessage()] == [
        "login URL http://127.0.0.1:8080 uses plain http: allowed only because the host is loopback"
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://login.salesforce.com",
        "https://acme.my.salesforce.com/",
        "https://acme--uat.sandbox.my.salesforce.com",
        "https://test.salesforce.com",
        "https://acme.lightning.force.com",
        "https://LOGIN.Salesforce.com",
        "https://127.0.0.1:9443",
    ],
)
def test_https_urls_are_accepted_silently(url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert check_crm_url(url) == url.rstrip("/")
    assert caplog.records == []


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "http://127.3.2.1"],
)
def test_plain_http_to_loopback_is_accepted_with_a_warning(
    url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("connector.crm.salesforce.tls._WARNED_PLAIN_HTTP", set())
    with caplog.at_level(logging.WARNING, logger="connector.crm.salesforce.tls"):
        assert check_crm_url(url, what="login URL") == url
    assert any(
        r.levelno == logging.WARNING and "plain http" in r.getMessage() and url in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://10.0.0.1",
        "http://acme.my.salesforce.com",
        "http://127.0.0.1.example.com",
        "ftp://login.salesforce.com",
        "login.salesforce.com",
        "",
    ],
)
def test_other_urls_are_refused_naming_the_url_and_the_fix(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_crm_url(url, what="login URL")
    message = str(caught.value)
    assert "login URL" in message
    assert "https://" in message
    if url:
        assert url in message


def test_credentials_in_a_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigError) as caught:
        check_crm_url("https://admin:hunter2-secret@login.salesforce.com")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("a.b", False),
        ("evil.localhost", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254",
        "https://10.0.0.1:8443",
        "https://internal.corp",
        "https://metadata.google.internal",
        "https://salesforce.com.evil.example",
        "https://evilsalesforce.com",
        "https://login.salesforce.com@evil.example",
    ],
)
def test_hosts_outside_salesforce_and_loopback_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        check_crm_url(url, what="login URL")


@pytest.mark.parametrize(
    ("instance", "login", "allowed"),
    [
        ("https://acme.my.salesforce.com", "https://login.salesforce.com", True),
        ("http://127.0.0.1:6379", "https://login.salesforce.com", False),
        ("https://127.0.0.1:9443", "https://acme.my.salesforce.com", False),
        ("https://169.254.169.254", "https://login.salesforce.com", False),
        ("https://127.0.0.1:9443", "https://127.0.0.1:9443", True),  # the local sandbox
    ],
)
def test_instance_url_from_the_token_endpoint_follows_the_same_rule_and_stays_in_its_zone(
    instance: str, login: str, allowed: bool
) -> None:
    if allowed:
        assert check_instance_url(instance, login) == instance
    else:
        with pytest.raises(ConfigError):
            check_instance_url(instance, login)
