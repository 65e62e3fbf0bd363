"""Settings read from the environment (and an optional `.env` file).

Every setting has a sensible default for a single-machine install; production sets
`CONNECTOR_DATABASE_URL` (PostgreSQL) and `CONNECTOR_SECRET_KEYS` at least.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The connector's settings. Environment variables are prefixed with `CONNECTOR_`."""

    model_config = SettingsConfigDict(
        env_prefix="CONNECTOR_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Field(
        default=Path(".connector"),
        description="Directory for local state: the SQLite store, sandbox certificates, logs.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; defaults to a SQLite file under `home`.",
    )
    migration_database_url: str | None = Field(
        default=None,
        description=(
            "URL `connector db upgrade` connects with: the role that owns the schema. "
            "Defaults to `database_url` (for SQLite, or when that role is the owner)."
        ),
    )
    tenant_key: str | None = Field(
        default=None,
        description=(
            "PostgreSQL only: the key that binds each transaction to its customer under "
            "row-level security; `connector db upgrade` stores it where only the owner reads it."
        ),
    )
    field_maps_dir: Path = Field(
        default=Path("field_maps"), description="Directory holding one field map per customer."
    )
    secret_keys: str | None = Field(
        default=None,
        description="Comma-separated key ring, newest first, encrypting tokens and keys at rest.",
    )
    public_url: str | None = Field(
        default=None,
        description="The https address `connector serve` is reached at; connect links and "
        "their OAuth callback are made from it.",
    )
    api_version: str = Field(default="59.0", description="Salesforce REST API version.")
    http_timeout: float = Field(default=60.0, description="Seconds before a CRM request times out.")
    api_budget_share: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Share of the org's daily API allowance a pull may use before it stops.",
    )
    api_writeback_budget_share: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="Share up to which activity write-back may go on (the reserve above reads).",
    )

    report_run_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Share of the org's hourly report runs a pull may use; the rest of the "
        "hour stays with the customer's own people and dashboards.",
    )
    resync_min_gap_minutes: int = Field(
        default=15,
        ge=0,
        description="Minutes at least between two resyncs (full pulls) asked for by the CRM.",
    )
    resync_daily_cap: int = Field(
        default=24, ge=0, description="Resyncs asked for by the CRM that may run in 24 hours."
    )

    def resolved_database_url(self) -> str:
        """The store's URL: the configured one, or a SQLite file under `home`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'connector.db'}"

    def resolved_migration_url(self) -> str:
        """The URL migrations run with: the owner's, or the store's own URL."""
        return self.migration_database_url or self.resolved_database_url()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


def settings_problems(exc: ValidationError, prefix: str = "CONNECTOR_") -> str:
    """What is wrong with settings read from the environment, one clause per variable."""
    return "; ".join(
        f"{prefix}{str(error['loc'][0]).upper()} {error['msg'].removeprefix('Value error, ')}"
        for error in exc.errors()
    )
