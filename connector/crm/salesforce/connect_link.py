"""Connect links (pure): the link's token, its hash, its URL and the rule for its callback.

A connect link lets a customer's Salesforce admin connect the org without a shell: it opens
`<CONNECTOR_PUBLIC_URL>/connect/<token>`, which starts the web-server flow with PKCE, and
Salesforce redirects back to `<CONNECTOR_PUBLIC_URL>/connect/callback`. The token is 32
random bytes; only its SHA-256 is stored (as for API tokens, a plain digest suffices for a
random secret). The callback rule follows the TLS rule for CRM URLs: https, except for a
loopback address, and a loopback callback only with a loopback login host (the local
sandbox), since an org in the cloud must redirect to an address the admin can reach.

Errors: `ConfigError` naming the setting and the fix.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from connector.crm.salesforce.tls import is_loopback_url
from connector.errors import ConfigError
from connector.loopback import is_loopback_host

log = logging.getLogger(__name__)

PREFIX = "ccl_"
LINK_PATH = "/connect/"
CALLBACK_PATH = "/connect/callback"
#: The longest a link may stay usable.
MAX_TTL = timedelta(days=7)
DEFAULT_TTL = timedelta(hours=24)
_WARNED_PLAIN_HTTP: set[str] = set()
_TOKEN = re.compile(r"^ccl_[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    """A fresh link token (shown once, in the link)."""
    return PREFIX + secrets.token_urlsafe(32)


def hash_secret(value: str) -> str:
    """The stored form of a link token or an OAuth state: its SHA-256, hex."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def is_token(text: str) -> bool:
    """Whether `text` has the shape of a link token (anything else is refused unread)."""
    return bool(_TOKEN.match(text))


def check_ttl(ttl: timedelta) -> timedelta:
    """`ttl` if a link may live that long, else ConfigError."""
    if ttl <= timedelta(0) or ttl > MAX_TTL:
        raise ConfigError("a connect link's lifetime must be more than 0 and at most 7d")
    return ttl


def check_public_url(url: str | None) -> str:
    """The connector's public base URL (CONNECTOR_PUBLIC_URL) without a trailing slash.

    Required: without it no link can be made (fail closed). https, or http for loopback.
    """
    text = (url or "").strip()
    if not text:
        raise ConfigError(
            "CONNECTOR_PUBLIC_URL is not set: connect links need the https address "
            "`connector serve` is reached at, e.g. https://connector.example.com"
        )
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.query or parts.fragment:
        raise ConfigError(
            f"CONNECTOR_PUBLIC_URL {text!r} is not an absolute https:// base URL such as "
            "https://connector.example.com"
        )
    if parts.username or parts.password:
        raise ConfigError("CONNECTOR_PUBLIC_URL embeds credentials; remove the user@ part")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            f"CONNECTOR_PUBLIC_URL {text!r} uses plain http; use https:// (plain http is "
            "allowed only for loopback addresses, with the local sandbox)"
        )
    return text.rstrip("/")


def link_url(public_url: str, token: str) -> str:
    """The link the admin opens."""
    return f"{check_public_url(public_url)}{LINK_PATH}{token}"


def callback_url(public_url: str, login_url: str) -> str:
    """The redirect URI of a link's flow; ConfigError when `login_url` may not use it.

    A loopback callback (http or https) is for a loopback login host only: the local sandbox.
    """
    base = check_public_url(public_url)
    if is_loopback_url(base) and not is_loopback_url(login_url):
        raise ConfigError(
            f"CONNECTOR_PUBLIC_URL {base!r} is a loopback address, which only the local "
            "sandbox can redirect to; set it to the https address of `connector serve`"
        )
    if base.startswith("http://") and base not in _WARNED_PLAIN_HTTP:  # once per process
        _WARNED_PLAIN_HTTP.add(base)
        log.warning("connect-link callback %s uses plain http: loopback sandbox only", base)
    return base + CALLBACK_PATH
