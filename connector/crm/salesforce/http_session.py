"""The HTTP session of every request to the CRM: its credentials come from the connector only.

By default `requests` trusts the environment, and that includes the user's `~/.netrc` (or the
file `NETRC` names): when it has an entry for the CRM's host, or a `default` entry, requests
sends that login and password as HTTP Basic credentials. On an API call this replaces the
OAuth bearer token (every call is refused); on a token request it adds a password. The
connector authenticates with OAuth only and never sends a password, so its sessions do not
trust the environment. What an operator does expect from it is kept, explicitly: proxies
(`HTTPS_PROXY`, `NO_PROXY` and the rest). TLS verification is always the connector's own
setting (the customer's `crm.ca_bundle`, or the system's trust store), never
`REQUESTS_CA_BUNDLE`.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.utils import get_environ_proxies


class CrmSession(requests.Session):
    """A `requests.Session` that reads no credentials and no CA bundle from the environment,
    and takes its proxies from it for each request (as requests itself would)."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("proxies") is None:
            target = url.decode() if isinstance(url, bytes) else url
            kwargs["proxies"] = get_environ_proxies(target)
        return super().request(method, url, *args, **kwargs)
