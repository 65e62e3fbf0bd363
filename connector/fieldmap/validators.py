"""Small checks the model applies to single values: URLs, Salesforce API names, templates.

Each raises ValueError with a message of the form "problem; fix", which pydantic reports at
the key being validated.
"""

from __future__ import annotations

import re
import string
from urllib.parse import urlsplit

from connector.loopback import is_loopback_host

CUSTOMER_ID = r"^[a-z0-9][a-z0-9_-]{1,62}$"
DEVELOPER_NAME = r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)$"
FOLDER = r"^(?:[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)|00l[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)$"
API_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,79}$"
CUSTOM_FIELD = r"^[A-Za-z][A-Za-z0-9_]{0,79}__c$"
API_VERSION = r"^\d{2,3}\.0$"
COLUMN = r"^\S(?:.{0,253}\S)?$"

PATTERN_HELP = {
    CUSTOMER_ID: "must be 2-63 lower-case letters, digits, '-' or '_', starting with a letter "
    "or digit; rename it (and the file) e.g. 'acme'",
    DEVELOPER_NAME: "is not a Salesforce developer name; use letters, digits and single "
    "underscores, starting with a letter (e.g. Enterprise_Contacts)",
    FOLDER: "is neither a folder developer name (e.g. Call_Lists) nor a folder id (00l...); "
    "copy it from the folder's URL or Report Folder setup",
    API_NAME: "is not a Salesforce API name; use letters, digits and underscores (e.g. Task)",
    CUSTOM_FIELD: "must be a custom field API name ending in __c (e.g. Connector_Activity_Id__c)",
    API_VERSION: 'is not an API version; write it quoted, e.g. "59.0"',
    COLUMN: "must be a report column name without leading or trailing spaces (e.g. EMAIL)",
}


def empty_to_none(value: object) -> object:
    """Treat "" (for example an unset `${VAR:-}`) as "not given" for optional settings."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def check_login_url(value: str) -> str:
    """Return the login URL without a trailing slash; https only, except for loopback hosts."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not a URL ({exc}); write e.g. https://login.salesforce.com"
        ) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{text!r} is not an https URL; write e.g. https://login.salesforce.com")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(
            f"plain http to {parts.hostname!r} would send credentials unencrypted; use https "
            "(http is allowed only for localhost, 127.0.0.0/8 and ::1)"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(
            "the login URL must not carry credentials, a query or a fragment; keep just the host"
        )
    if parts.path not in ("", "/"):
        raise ValueError(f"the login URL must be just the host; drop the path {parts.path!r}")
    return text.rstrip("/")


HOST_NAME = re.compile(
    r"(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]"
)


def check_extra_host(value: str) -> str:
    """Return an allowed extra CRM host in lower case: a plain DNS name, nothing else.

    No scheme, port, path or wildcard, and no IP address: credentials go to exactly the
    named host, never to a whole domain or an address that could be a local service.
    """
    host = value.strip().lower().rstrip(".")
    if "*" in host:
        raise ValueError(
            f"{value!r} is a wildcard; name each host exactly (e.g. acme.example-crm.com)"
        )
    if "/" in host or ":" in host or "@" in host:
        raise ValueError(
            f"{value!r} is not a bare host name; write just the host, without https:// or a "
            "port or path (e.g. acme.example-crm.com)"
        )
    if re.fullmatch(r"[0-9.]+", host):
        raise ValueError(f"{value!r} is an IP address; name the org's host instead")
    if not HOST_NAME.fullmatch(host):
        raise ValueError(
            f"{value!r} is not a host name; use letters, digits, '-' and dots, with at least "
            "one dot (e.g. acme.example-crm.com)"
        )
    return host


def check_template(value: str) -> str:
    """Check a `{placeholder}` subject template: plain names only, braces balanced."""
    try:
        pieces = list(string.Formatter().parse(value))
    except ValueError as exc:
        raise ValueError(f"{exc}; write literal braces as {{{{ and }}}}") from None
    for _, name, spec, conversion in pieces:
        if name is None:
            continue
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or spec or conversion:
            raise ValueError(
                f"placeholder {{{name}}} is not allowed; "
                "use a plain activity field name like {outcome}"
            )
    return value
