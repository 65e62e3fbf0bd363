"""Salesforce's OAuth refusals become AuthErrors with Salesforce's code and a fix (pure table)."""

from __future__ import annotations

import pytest

from connector.crm.salesforce.oauth_errors import classify, to_auth_error


@pytest.mark.parametrize(
    ("error", "description", "fix_words"),
    [
        ("invalid_grant", "user hasn't approved this consumer", "pre-authorized"),
        ("invalid_grant", "audience is invalid", "--audience"),
        ("invalid_grant", "Audience validation failed", "--audience"),
        ("invalid_grant", "invalid assertion", "certificate"),
        ("invalid_grant", "ip restricted by app developer", "IP"),
        ("invalid_grant", "expired access/refresh token", "connector auth login"),
        ("invalid_grant", "invalid authorization code", "connector auth login"),
        ("invalid_grant", "something new", "reconnect"),
        ("invalid_client_id", "client identifier invalid", "--client-id"),
        ("redirect_uri_mismatch", "redirect_uri must match configuration", "callback"),
        ("access_denied", "end-user denied authorization", "allow access"),
        ("unheard_of", "", "reconnect"),
    ],
)
def test_each_known_refusal_maps_to_a_fix(error: str, description: str, fix_words: str) -> None:
    exc = to_auth_error(error, description, customer="acme")
    assert exc.code == error
    assert exc.customer == "acme"
    assert description in str(exc)
    assert "Fix: " in str(exc)
    assert fix_words in str(exc).split("Fix: ", 1)[1]


def test_the_most_specific_description_wins() -> None:
    assert classify("invalid_grant", "user hasn't approved this consumer").fragment != ""
    assert classify("invalid_grant", "whatever").fragment == ""
