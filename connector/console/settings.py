"""Settings of the web console, read from `CONNECTOR_CONSOLE_*` variables.

The console is off until it is fully configured: the OpenID provider's issuer URL, the
client id and secret of the console's app there, and the secret that signs session cookies.
None of them set: off (the `/console` routes do not exist). Some set but not all, a secret
shorter than `MIN_SECRET_LENGTH`, or an issuer that is not `https://` (plain http only for a
loopback host, the local sandbox): a `ConfigError` at start-up, naming each variable. Nobody
has a role unless a setting grants it (an allowlist of verified email addresses, or the value
of a claim the provider sends); `roles.role_of` decides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from connector.errors import ConfigError
from connector.loopback import is_loopback_host
from connector.web.settings import MIN_SECRET_LENGTH

#: The variables that must all be set for the console to run.
REQUIRED = ("issuer", "client_id", "client_secret", "session_secret")


def _split_emails(value: object) -> object:
    if isinstance(value, str):
        return [part.strip().lower() for part in value.split(",") if part.strip()]
    return value


Emails = Annotated[list[str], NoDecode, BeforeValidator(_split_emails)]


class ConsoleSettings(BaseSettings):
    """Where sign-in happens, what signs the session, and who gets which role."""

    model_config = SettingsConfigDict(
        env_prefix="CONNECTOR_CONSOLE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    issuer: str | None = Field(
        default=None,
        description="The OpenID provider's issuer URL (its /.well-known/openid-configuration "
        "is read at sign-in), e.g. https://login.salesforce.com or a My Domain.",
    )
    client_id: str | None = Field(default=None, description="The console's client id there.")
    client_secret: SecretStr | None = Field(
        default=None, description="The console's client secret there."
    )
    session_secret: SecretStr | None = Field(
        default=None,
        description=f"Signs session cookies (at least {MIN_SECRET_LENGTH} characters); "
        "changing it signs everybody out.",
    )
    ca_bundle: Path | None = Field(
        default=None,
        description="A CA file to trust for the provider (the local sandbox's own CA).",
    )
    scopes: str = Field(default="openid email profile", description="Scopes asked for at sign-in.")
    admins: Emails = Field(default_factory=list, description="Emails with the admin role.")
    operators: Emails = Field(default_factory=list, description="Emails with the operator role.")
    readers: Emails = Field(default_factory=list, description="Emails with the read-only role.")
    role_claim: str | None = Field(
        default=None,
        description="A claim of the id_token or userinfo whose value (admin, operator or "
        "read-only, or a list of them) grants the role.",
    )
    session_hours: float = Field(
        default=8, gt=0, le=24 * 7, description="Hours a sign-in lasts (the cookie's age)."
    )
    poll_seconds: int = Field(
        default=10, ge=2, le=3600, description="How often the fleet page refreshes itself."
    )

    @field_validator("client_secret", "session_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters (or unset)")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip().rstrip("/")
        parts = urlsplit(text)
        host = parts.hostname or ""
        if parts.scheme not in ("https", "http") or not host or parts.username:
            raise ValueError("must be an absolute https:// URL without credentials")
        if parts.scheme == "http" and not is_loopback_host(host):
            raise ValueError("must use https:// (plain http only for a loopback host)")
        return text

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError("must include openid (the sign-in needs a verified id_token)")
        return value

    @field_validator("client_id")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty (or unset)")
        return value.strip() if value is not None else None

    @property
    def configured(self) -> bool:
        """True when every required variable is set (the console runs)."""
        return all(getattr(self, name) is not None for name in REQUIRED)

    def missing(self) -> list[str]:
        """The required variables not set."""
        return [f"CONNECTOR_CONSOLE_{n.upper()}" for n in REQUIRED if getattr(self, n) is None]


def load_console_settings() -> ConsoleSettings | None:
    """The console's settings, or None when none of the required variables is set.

    Raises ConfigError for a partial configuration or an invalid value, naming the variables.
    """
    try:
        settings = ConsoleSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"CONNECTOR_CONSOLE_{str(error['loc'][0]).upper()} "
            f"{error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        raise ConfigError(f"invalid console settings: {problems}") from None
    missing = settings.missing()
    if len(missing) == len(REQUIRED):
        return None
    if missing:
        raise ConfigError(
            f"the console is partly configured: set {', '.join(missing)} too (or unset every "
            "CONNECTOR_CONSOLE_* variable to turn it off)"
        )
    return settings
