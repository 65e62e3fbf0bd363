"""Settings of the web app (`connector serve`), read from `CONNECTOR_*` variables.

Webhook secrets: one master secret, `CONNECTOR_WEBHOOK_SECRET`, from which each customer's
own secret is derived (`signing.customer_secret`). Each customer's Salesforce admin gets only
their own derived secret (`connector webhook-secret CUSTOMER`), so one leaked secret signs for
one customer only, and nothing needs storing; rotating the master rotates them all.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    """The web app's secrets and limits."""

    model_config = SettingsConfigDict(
        env_prefix="CONNECTOR_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    webhook_secret: SecretStr | None = Field(
        default=None, description="Master secret the per-customer webhook secrets derive from."
    )
    webhook_max_age: int = Field(
        default=300, gt=0, description="Seconds a signed webhook's timestamp stays acceptable."
    )
    operator_token: SecretStr | None = Field(
        default=None,
        description="Bearer token required by /api/* and /metrics when set (open when unset).",
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
    max_body_bytes: int = Field(default=1_000_000, gt=0, description="Largest hook body read.")
