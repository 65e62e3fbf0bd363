"""What `connector serve` checks before it listens, and the line it prints when it does.

Fail closed: beyond loopback the operator API must have its token, so a server reachable
from the network is never open by mistake. Pure functions of the address and the settings.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from connector.errors import ConfigError
from connector.loopback import is_loopback_host
from connector.web.settings import MIN_SECRET_LENGTH, WebSettings


def check_bind(host: str, settings: WebSettings) -> None:
    """Refuse (ConfigError) to listen on a non-loopback `host` without an operator token."""
    if settings.operator_token is None and not is_loopback_host(host):
        raise ConfigError(
            f"refusing to listen on {host}: set CONNECTOR_OPERATOR_TOKEN (at least "
            f"{MIN_SECRET_LENGTH} characters) before serving beyond loopback, or use "
            "--host 127.0.0.1"
        )


def startup_line(host: str, port: int, settings: WebSettings, *, console: bool = False) -> str:
    """One line: where the server listens and which protections are on."""
    shown = f"[{host}]" if ":" in host else host
    operator = "token" if settings.operator_token else "off (loopback clients only)"
    webhook = "on" if settings.webhook_secret else "off (503)"
    networks = settings.hook_allowed_networks
    senders = f"{len(networks)} network(s)" if networks else "any address"
    return (
        f"connector serve: listening on http://{shown}:{port}; operator API: {operator}; "
        f"signed webhooks: {webhook}; outbound-message senders: {senders}; "
        f"rate limits: {settings.rate_limit_client} per client, "
        f"{settings.rate_limit_customer} per customer, {_counted(settings)}; body limit: "
        f"{settings.max_body_bytes} bytes; /docs: {'on' if settings.docs else 'off'}; "
        f"console: {'on at /console' if console else 'off'}"
    )


def _counted(settings: WebSettings) -> str:
    """Where the rate limits are counted (a Redis URL's host only, never its password)."""
    parts = urlsplit(settings.rate_limit_storage)
    if parts.scheme == "memory":
        return "counted per process"
    return f"counted in Redis at {parts.hostname}:{parts.port or 6379} (shared)"
