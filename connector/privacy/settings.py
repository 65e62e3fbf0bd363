"""Privacy settings, read from the environment (prefix `CONNECTOR_`) like `config.Settings`.

Kept apart from the shared settings so this package owns its knobs:

    CONNECTOR_SUPPRESSION_KEY            HMAC key(s) for the suppression list (see suppression.py)
    CONNECTOR_ACTIVITY_RETENTION_DAYS    age after which activity metadata is deleted (365)
    CONNECTOR_RETENTION_EVERY_HOURS      how often the scheduler applies retention (24)
    CONNECTOR_CHANGE_LOG_DAYS            days the change feed's removal log is kept (30); an
                                         older `since` cursor gets 410 (reread the list)

`load_privacy_settings` reads them with a ConfigError naming each bad variable; `serve` and
`scheduler run` call it at start-up.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from connector.config import settings_problems
from connector.errors import ConfigError

#: The longest an offboarding erasure may wait after it was requested.
MAX_ERASURE_DELAY = timedelta(days=10)


class PrivacySettings(BaseSettings):
    """The privacy package's settings. Read fresh on each use; they are cheap."""

    model_config = SettingsConfigDict(
        env_prefix="CONNECTOR_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    suppression_key: SecretStr | None = Field(
        default=None,
        description=(
            "Comma-separated HMAC keys for hashing forgotten subjects, newest first. Never drop "
            "a key while hashes made with it must still match."
        ),
    )
    activity_retention_days: int = Field(
        default=365, ge=1, description="Days after which activity metadata is deleted."
    )

    retention_every_hours: int = Field(
        default=24, ge=1, description="Hours between the scheduler's retention runs."
    )

    change_log_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Days the read API's change feed remembers removed members; a `since` "
        "cursor older than that is refused (410) and the list must be read again.",
    )

    @property
    def change_log(self) -> timedelta:
        """How long removals stay in the change feed's log."""
        return timedelta(days=self.change_log_days)

    @property
    def retention_every(self) -> timedelta:
        """How often the scheduler applies retention to each customer."""
        return timedelta(hours=self.retention_every_hours)

    @property
    def activity_retention(self) -> timedelta:
        """The retention age of activity metadata."""
        return timedelta(days=self.activity_retention_days)


def load_privacy_settings() -> PrivacySettings:
    """The privacy settings from the environment; ConfigError naming each bad variable."""
    try:
        return PrivacySettings()
    except ValidationError as exc:
        raise ConfigError(f"invalid privacy settings: {settings_problems(exc)}") from None
