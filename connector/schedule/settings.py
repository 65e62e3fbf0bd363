"""Settings of the scheduler and the Celery executor, read from `CONNECTOR_*` variables.

They sit apart from `connector.config.Settings` because only the `scheduler`, `worker` and
`serve` processes need them.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ScheduleSettings(BaseSettings):
    """How the scheduler loops and where Celery finds its broker."""

    model_config = SettingsConfigDict(
        env_prefix="CONNECTOR_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    celery_broker_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Celery broker for `--executor celery` and `connector worker`.",
    )
    celery_queue: str = Field(default="connector", description="Queue the sync tasks go to.")
    scheduler_interval: float = Field(
        default=30.0, gt=0, description="Seconds between the scheduler's passes."
    )
    lease_ttl: float = Field(
        default=600.0,
        ge=5,
        description="Seconds a sync lease lives without renewal (renewed every third of it).",
    )


@lru_cache(maxsize=1)
def get_schedule_settings() -> ScheduleSettings:
    """The process-wide scheduler settings, read once."""
    return ScheduleSettings()
