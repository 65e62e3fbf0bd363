"""The TLS rule for CRM URLs: `https://` always; plain `http://` only for loopback hosts.

Loopback means `localhost`, `127.0.0.0/8` or `::1`: the local sandbox. Accepting such a URL
logs a WARNING, so a plain-text connection never goes unnoticed. The rule applies to every URL
the connector sends credentials to: the login URL (token, authorize, revoke) and the instance
URL (every API call).

Errors: `ConfigError` naming the URL and the fix.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from connector.errors import ConfigError
from connector.loopback import is_loopback_host

log = logging.getLogger(__name__)


#: The loopback plain-http URLs already warned about in this process.
_WARNED_PLAIN_HTTP: set[str] = set()


def is_loopback_url(url: str) -> bool:
    """True when `url` points at a loopback host (whatever its scheme)."""
    return is_loopback_host(urlsplit(url).hostname or "")


def check_crm_url(url: str, *, what: str = "CRM URL") -> str:
    """Return `url` without a trailing slash if it satisfies the TLS rule, else ConfigError.

    `what` names the setting in messages (e.g. "login URL"). URLs carrying credentials
    (`user:pass@host`) are refused too: credentials never travel in a URL.
    """
    text = (url or "").strip()
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigError(
            f"{what} {text!r} is not an absolute https:// URL; use e.g. "
            "https://login.salesforce.com or https://yourdomain.my.salesforce.com"
        )
    if parts.username or parts.password:
        raise ConfigError(f"{what} for host {host!r} embeds credentials; remove the user@ part")
    if parts.scheme == "http":
        if not is_loopback_host(host):
            raise ConfigError(
                f"{what} {text!r} uses plain http; CRM URLs must use https:// "
                f"(use {text.replace('http://', 'https://', 1)!r}); plain http is allowed "
                "only for loopback hosts (the local sandbox)"
            )
        if text not in _WARNED_PLAIN_HTTP:  # once per process, not at every connection
            _WARNED_PLAIN_HTTP.add(text)
            log.warning(
                "%s %s uses plain http: allowed only because the host is loopback", what, text
            )
    return text.rstrip("/")
