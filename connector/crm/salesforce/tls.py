"""The rule for CRM URLs: `https://` to a Salesforce host; plain `http://` only for loopback.

Hosts: Salesforce's own domains (`salesforce.com` and `force.com` and their subdomains:
login, test, My Domains such as `acme.my.salesforce.com`, sandbox My Domains under
`sandbox.my.salesforce.com`, instance hosts) and loopback (the local sandbox). Any other
host, including IP literals such as 169.254.169.254 and internal names, is refused: the
connector never sends credentials anywhere else, unless the customer's field map names that
exact host in `crm.extra_hosts` (an org reached at a host outside Salesforce's own domains).
Those hosts are passed to every check of that customer as `extra_hosts`; they are names,
never wildcards, and they allow that customer only.

Government and China clouds: their domains are not built in. No Salesforce document
available when this rule was written confirmed them, so such an org is configured with
`crm.extra_hosts`.

Loopback means `localhost`, `127.0.0.0/8` or `::1`: the local sandbox. Accepting such a URL
logs a WARNING, so a plain-text connection never goes unnoticed. The rule applies to every URL
the connector sends credentials to: the login URL (token, authorize, revoke) and the instance
URL (every API call).

Errors: `ConfigError` naming the URL and the fix.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from urllib.parse import urlsplit

from connector.errors import ConfigError
from connector.loopback import is_loopback_host

log = logging.getLogger(__name__)


#: The loopback plain-http URLs already warned about in this process.
_WARNED_PLAIN_HTTP: set[str] = set()

SALESFORCE_DOMAINS = ("salesforce.com", "force.com")


def is_salesforce_host(host: str) -> bool:
    """True for a Salesforce domain or one of its subdomains (case-insensitive)."""
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in SALESFORCE_DOMAINS)


def is_loopback_url(url: str) -> bool:
    """True when `url` points at a loopback host (whatever its scheme)."""
    return is_loopback_host(urlsplit(url).hostname or "")


def check_crm_url(url: str, *, what: str = "CRM URL", extra_hosts: Collection[str] = ()) -> str:
    """Return `url` without a trailing slash if it satisfies the TLS rule, else ConfigError.

    `what` names the setting in messages (e.g. "login URL"). `extra_hosts` are the exact
    host names the customer's field map allows besides Salesforce's domains
    (`crm.extra_hosts`). URLs carrying credentials (`user:pass@host`) are refused too:
    credentials never travel in a URL.
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
    elif not (is_salesforce_host(host) or is_loopback_host(host) or is_extra(host, extra_hosts)):
        raise ConfigError(
            f"{what} host {host!r} is not a Salesforce host (*.salesforce.com, *.force.com) "
            "nor loopback; credentials are sent to Salesforce only. If it is your org's own "
            "domain, add it to crm.extra_hosts in the customer's field map"
        )
    return text.rstrip("/")


def is_extra(host: str, extra_hosts: Collection[str]) -> bool:
    """True when `host` is one of the customer's explicitly allowed hosts (exact match)."""
    return host.lower().rstrip(".") in {h.lower().rstrip(".") for h in extra_hosts}


def check_instance_url(instance_url: str, login_url: str, extra_hosts: Collection[str] = ()) -> str:
    """`check_crm_url` for the token endpoint's `instance_url`, which must also stay in its zone.

    A loopback instance is accepted only from a loopback login host (the local sandbox), so
    a token answer cannot point API calls at a local service such as http://127.0.0.1:6379.
    """
    url = check_crm_url(instance_url, what="instance URL", extra_hosts=extra_hosts)
    if is_loopback_url(url) and not is_loopback_url(login_url):
        raise ConfigError(
            f"the token endpoint of {urlsplit(login_url).hostname!r} named a loopback instance "
            "URL; refused"
        )
    return url
