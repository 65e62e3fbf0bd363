"""Settings of the web app (`connector serve`), read from `CONNECTOR_*` variables.

Webhook secrets: one master secret, `CONNECTOR_WEBHOOK_SECRET`, from which each customer's
own secret is derived (`signing.customer_secret`). Each customer's Salesforce admin gets only
their own derived secret (`connector webhook-secret CUSTOMER`), so one leaked secret signs for
one customer only, and nothing needs storing; rotating the master rotates them all.

Secrets fail closed: a secret that is set must be at least `MIN_SECRET_LENGTH` characters,
so an empty or short value is a configuration error (naming the variable), never a secret
that anyone can guess. `load_web_settings` turns such a mistake into a `ConfigError`.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from limits import RateLimitItem, parse_many
from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from connector.config import settings_problems
from connector.errors import ConfigError

MIN_SECRET_LENGTH = 32
#: URL schemes of the rate-limit counters' storage: in memory, or a Redis server.
RATE_LIMIT_SCHEMES = ("memory", "redis", "rediss")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _split_networks(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class WebSettings(BaseSettings):
    """The web app's secrets and limits."""

    model_config = SettingsConfigDict(
        env_prefix="CONNECTOR_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Master secret the per-customer webhook secrets derive from "
        f"(at least {MIN_SECRET_LENGTH} characters).",
    )
    webhook_max_age: int = Field(
        default=300, gt=0, description="Seconds a signed webhook's timestamp stays acceptable."
    )
    operator_token: SecretStr | None = Field(
        default=None,
        description=f"Bearer token (at least {MIN_SECRET_LENGTH} characters) required by /api/* "
        "and /metrics; when unset, only loopback clients may call them.",
    )
    field_maps_dir: Path = Field(
        default=Path("field_maps"),
        description="The field maps; the read API serves only the fields a customer's map names.",
    )
    change_feed_lag: int = Field(
        default=60,
        ge=0,
        description="Seconds the read API's change feed stays behind now, so that a write "
        "committed after it was stamped is not skipped.",
    )
    max_body_bytes: int = Field(
        default=1_000_000, gt=0, description="Largest request body read, on every route (413)."
    )
    hook_allowed_networks: Annotated[list[Network], NoDecode, BeforeValidator(_split_networks)] = (
        Field(
            default_factory=list,
            description="Comma-separated CIDR list of addresses allowed to send outbound "
            "messages (e.g. Salesforce's published ranges); empty: any address.",
        )
    )
    rate_limit_client: str = Field(
        default="120/minute", description="Requests one client address may make (limits syntax)."
    )
    rate_limit_customer: str = Field(
        default="60/minute", description="Requests naming one customer (limits syntax)."
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where the rate-limit counters live: memory:// (each server process "
        "counts alone) or redis://host:6379/0 (rediss:// with TLS): one budget shared by "
        "every process using that Redis.",
    )
    docs: bool = Field(default=False, description="Serve /docs and /openapi.json.")

    @field_validator("webhook_secret", "operator_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters (or unset)")
        return value

    @field_validator("rate_limit_client", "rate_limit_customer")
    @classmethod
    def _rate(cls, value: str) -> str:
        rate_limits(value)
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _storage(cls, value: str) -> str:
        if urlsplit(value.strip()).scheme not in RATE_LIMIT_SCHEMES:
            raise ValueError(
                "is neither memory:// nor a Redis URL; use memory:// (per process) or "
                "redis://host:6379/0 (shared by every process)"
            )
        return value.strip()

    def client_limits(self) -> list[RateLimitItem]:
        """The per-client rate limits."""
        return rate_limits(self.rate_limit_client)

    def customer_limits(self) -> list[RateLimitItem]:
        """The per-customer rate limits."""
        return rate_limits(self.rate_limit_customer)


def rate_limits(text: str) -> list[RateLimitItem]:
    """Parse a rate such as "120/minute" or "10/second;1000/hour"; ValueError if malformed."""
    try:
        return list(parse_many(text))
    except ValueError:
        raise ValueError(f"{text!r} is not a rate such as 120/minute") from None


def load_web_settings() -> WebSettings:
    """The web settings from the environment; ConfigError naming each bad variable."""
    try:
        return WebSettings()
    except ValidationError as exc:
        raise ConfigError(f"invalid web settings: {settings_problems(exc)}") from None
