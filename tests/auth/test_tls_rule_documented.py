"""The TLS rule's edges, with the exact words an operator reads when a URL is refused."""

from __future__ import annotations

import logging

import pytest

from connector.crm.salesforce import tls
from connector.crm.salesforce.tls import check_crm_url, is_loopback_url
from connector.errors import ConfigError
from connector.loopback import is_loopback_host

NOT_ABSOLUTE = (
    "is not an absolute https:// URL; use e.g. https://login.salesforce.com or "
    "https://yourdomain.my.salesforce.com"
)


@pytest.mark.parametrize("url", ["", "   ", "https://", "http://", "https:///path", "mailto:a@b"])
def test_given_no_absolute_url_then_it_is_refused_with_examples(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_crm_url(url)
    assert str(caught.value) == f"CRM URL {url.strip()!r} {NOT_ABSOLUTE}"


def test_given_none_then_it_is_refused_like_an_empty_url() -> None:
    with pytest.raises(ConfigError) as caught:
        check_crm_url(None)  # type: ignore[arg-type]
    assert str(caught.value) == f"CRM URL '' {NOT_ABSOLUTE}"


def test_given_plain_http_to_another_host_then_the_message_names_the_https_url() -> None:
    with pytest.raises(ConfigError) as caught:
        check_crm_url("http://acme.my.salesforce.com/x", what="instance URL")
    assert str(caught.value) == (
        "instance URL 'http://acme.my.salesforce.com/x' uses plain http; CRM URLs must use "
        "https:// (use 'https://acme.my.salesforce.com/x'); plain http is allowed only for "
        "loopback hosts (the local sandbox)"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://admin@login.salesforce.com",
        "https://:hunter2@login.salesforce.com",
        "https://admin:hunter2@login.salesforce.com",
        "http://admin:hunter2@127.0.0.1:8080",
    ],
)
def test_given_credentials_in_the_url_then_it_is_refused_naming_only_the_host(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_crm_url(url, what="login URL")
    host = url.split("@", 1)[1].split(":")[0]
    assert (
        str(caught.value)
        == f"login URL for host {host!r} embeds credentials; remove the user@ part"
    )


def test_given_surrounding_spaces_and_a_trailing_slash_then_the_clean_url_is_returned() -> None:
    assert check_crm_url("  https://acme.my.salesforce.com/  ") == "https://acme.my.salesforce.com"
    assert check_crm_url("HTTPS://Acme.My.Salesforce.com") == "HTTPS://Acme.My.Salesforce.com"
    assert check_crm_url("https://ORG--UAT.SANDBOX.MY.SALESFORCE.COM/X") == (
        "https://ORG--UAT.SANDBOX.MY.SALESFORCE.COM/X"
    )


def test_given_plain_http_then_only_the_scheme_is_replaced_in_the_suggested_url() -> None:
    with pytest.raises(ConfigError, match=r"\(use 'https://a\.example/\?next=http://b'\)"):
        check_crm_url("http://a.example/?next=http://b")


def test_given_plain_http_to_loopback_then_the_warning_says_why_it_is_allowed(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tls, "_WARNED_PLAIN_HTTP", set())  # warned once per process: a new one
    with caplog.at_level(logging.WARNING, logger="connector.crm.salesforce.tls"):
        assert check_crm_url("http://localhost:9000/", what="sandbox URL") == (
            "http://localhost:9000"
        )
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (
            logging.WARNING,
            "sandbox URL http://localhost:9000/ uses plain http: allowed only because the host "
            "is loopback",
        )
    ]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("LOCALHOST", True),
        ("LocalHost", True),
        ("127.255.255.254", True),
        ("0:0:0:0:0:0:0:1", True),
        ("[0:0:0:0:0:0:0:1]", True),
        ("128.0.0.1", False),
        ("126.255.255.255", False),
        ("::2", False),
        ("[::2]", False),
        ("", False),
        ("localhost.", False),
        ("[localhost]", True),
        ("Xlocalhost", False),
        ("X127.0.0.1", False),
    ],
)
def test_given_a_host_then_only_localhost_127_8_and_ipv6_loopback_count(
    host: str, loopback: bool
) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080/services", True),
        ("https://[::1]:8443", True),
        ("http://LOCALHOST", True),
        ("https://login.salesforce.com", False),
        ("https://127.0.0.1.example.com", False),
        ("", False),
        ("not a url", False),
    ],
)
def test_given_a_url_then_it_is_loopback_by_its_host(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_given_a_host_outside_salesforce_then_the_message_names_it_and_the_rule() -> None:
    with pytest.raises(ConfigError) as caught:
        check_crm_url("https://login.example.com", what="login URL")
    assert str(caught.value) == (
        "login URL host 'login.example.com' is not a Salesforce host (*.salesforce.com, "
        "*.force.com) nor loopback; credentials are sent to Salesforce only. If it is your "
        "org's own domain, add it to crm.extra_hosts in the customer's field map"
    )


def test_given_a_salesforce_host_written_with_its_root_dot_then_it_is_accepted() -> None:
    assert tls.is_salesforce_host("Acme.My.Salesforce.com.")
    assert check_crm_url("https://acme.my.salesforce.com./") == "https://acme.my.salesforce.com."


def test_given_a_loopback_instance_from_a_remote_login_then_it_is_refused_naming_the_login() -> (
    None
):
    with pytest.raises(ConfigError) as caught:
        tls.check_instance_url("http://127.0.0.1:6379", "https://login.salesforce.com")
    assert str(caught.value) == (
        "the token endpoint of 'login.salesforce.com' named a loopback instance URL; refused"
    )


def test_given_a_bad_instance_url_then_the_message_calls_it_the_instance_url() -> None:
    with pytest.raises(ConfigError, match=r"^instance URL host 'evil\.example' is not a"):
        tls.check_instance_url("https://evil.example", "https://login.salesforce.com")
