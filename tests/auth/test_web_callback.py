"""The loopback callback of the web flow: state check, denial, timeout, busy port (no CRM)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from auth_helpers import free_port

from connector.crm.salesforce.callback import CallbackListener, parse_callback
from connector.crm.salesforce.oauth_web import build_authorization_request, run_web_login
from connector.errors import AuthError, ConfigError

LOGIN = "https://login.salesforce.com"


def test_the_authorize_url_asks_for_s256_pkce_and_the_offline_scopes() -> None:
    request = build_authorization_request(LOGIN, "3MVG9-client", "http://127.0.0.1:8765/callback")
    parts = urlsplit(request.url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{LOGIN}/services/oauth2/authorize"
    assert query["response_type"] == "code"
    assert query["client_id"] == "3MVG9-client"
    assert query["redirect_uri"] == "http://127.0.0.1:8765/callback"
    assert query["code_challenge_method"] == "S256"
    assert query["scope"].split() == ["api", "refresh_token", "offline_access", "id"]
    assert query["state"] == request.state
    assert request.code_verifier not in request.url
    assert len(query["code_challenge"]) == 43


def _redirect_with(params: dict[str, str], echo_state: bool = False) -> object:
    def open_url(url: str) -> None:
        query = parse_qs(urlsplit(url).query)
        redirect = query["redirect_uri"][0]
        sent = {**params, "state": query["state"][0]} if echo_state else params
        response = requests.get(f"{redirect}?{urlencode(sent)}", timeout=5)
        assert response.status_code == 200

    return open_url


def refused_login_code(params: dict[str, str], echo_state: bool = False) -> str | None:
    """The AuthError code of a login whose browser comes back with `params`."""
    with pytest.raises(AuthError) as caught:
        run_web_login(
            login_url=LOGIN,
            client_id="c",
            port=0,
            timeout=5,
            open_url=_redirect_with(params, echo_state=echo_state),
        )
    return caught.value.code


def test_given_a_callback_with_a_foreign_state_then_the_login_is_refused() -> None:
    assert refused_login_code({"code": "aPrx-stolen-code", "state": "forged"}) == "state_mismatch"


def test_given_the_user_denies_access_then_auth_error_access_denied() -> None:
    denied = {"error": "access_denied", "error_description": "denied"}
    assert refused_login_code(denied, echo_state=True) == "access_denied"


def test_given_an_error_redirect_without_our_state_then_it_is_refused_as_forged() -> None:
    forged = {"error": "access_denied", "state": "\u00e9t\u00e9"}
    assert refused_login_code(forged) == "state_mismatch"


def test_given_no_callback_within_the_timeout_then_auth_error_timeout() -> None:
    with pytest.raises(AuthError, match="--timeout") as caught:
        run_web_login(login_url=LOGIN, client_id="c", port=0, timeout=0.3, open_url=None)
    assert caught.value.code == "timeout"


def test_a_busy_port_is_a_config_error_naming_the_option() -> None:
    port = free_port()
    with CallbackListener(port=port), pytest.raises(ConfigError, match="--port"):
        CallbackListener(port=port)


def test_other_paths_are_not_found_and_do_not_end_the_wait() -> None:
    with CallbackListener(port=0) as listener:
        base = f"http://127.0.0.1:{listener.port}"
        assert requests.get(f"{base}/favicon.ico", timeout=5).status_code == 404
        assert requests.get(f"{base}/callback?code=aPrx-abcdefgh&state=s", timeout=5).ok
        result = listener.wait(1)
    assert result is not None and result.code == "aPrx-abcdefgh"


def test_parse_callback_reads_code_state_and_error() -> None:
    assert parse_callback("code=aPrx1234567&state=xyz").state == "xyz"
    assert parse_callback("error=access_denied").error == "access_denied"
