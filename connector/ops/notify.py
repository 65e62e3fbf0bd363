"""Sending alerts: the incidents announced so far, and delivery through Apprise.

Which incidents were announced is kept in each customer's audit trail (`alert:<kind>` events
with state `open` or `resolved`), so it survives restarts and is itself an answer to "who told
whom what". A notice is recorded only once it was delivered: one that could not be sent is
tried again at the next pass. Delivery uses Apprise, configured by URL (e-mail, Slack, Teams,
a generic JSON webhook, ...) in `CONNECTOR_ALERT_URLS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Engine

from connector.errors import ConfigError
from connector.ops.alerts import KINDS, Incident, Kind, Notice, incidents_of, plan_notices
from connector.ops.fleet import load_fleet
from connector.privacy.audit import parse_detail, record_audit
from connector.store.tenant import TenantStore

log = logging.getLogger(__name__)

#: The audit trail's actor for alerts.
ACTOR = "alerts"


class AlertSettings(BaseSettings):
    """Where alerts go and when a customer counts as failing."""

    model_config = SettingsConfigDict(
        env_prefix="CONNECTOR_ALERT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    urls: str | None = Field(
        default=None,
        description="Apprise URLs, separated by commas or spaces (unset: no alerts are sent).",
    )
    failing_after: int = Field(default=3, ge=1, description="Failed runs in a row that alert.")

    def url_list(self) -> list[str]:
        """The configured URLs, without blanks."""
        return [u for u in (self.urls or "").replace(",", " ").split() if u]


@lru_cache(maxsize=1)
def get_alert_settings() -> AlertSettings:
    """The process-wide alert settings, read once."""
    return AlertSettings()


class Notifier(Protocol):
    """Delivers one message; returns whether it was delivered."""

    def __call__(self, title: str, body: str) -> bool: ...


def apprise_notifier(urls: Sequence[str]) -> Notifier:
    """A notifier sending to every Apprise URL in `urls`. Raises ConfigError for a bad URL."""
    import apprise

    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            raise ConfigError(
                "CONNECTOR_ALERT_URLS holds a URL Apprise does not understand; "
                "see the README's alerts section for the forms it takes"
            )

    def send(title: str, body: str) -> bool:
        return bool(sender.notify(title=title, body=body))

    return send


def announced(store: TenantStore) -> dict[tuple[str, Kind], Incident]:
    """The customer's incidents whose latest announcement said `open`."""
    found: dict[tuple[str, Kind], Incident] = {}
    for kind in KINDS:
        event = store.last_audit_event(f"alert:{kind}")
        if event is not None and parse_detail(event).get("state") == "open":
            found[(store.customer_id, kind)] = Incident(store.customer_id, kind, "")
    return found


def run_alerts(
    engine: Engine,
    field_maps_dir: Path,
    notify: Notifier,
    *,
    budget_share: float,
    failing_after: int = 3,
) -> list[Notice]:
    """Announce every incident that opened or cleared since the last pass; returns those sent."""
    sent: list[Notice] = []
    for status in load_fleet(engine, field_maps_dir, budget_share=budget_share):
        store = TenantStore(engine, status.customer_id)
        notices = plan_notices(incidents_of(status, failing_after=failing_after), announced(store))
        for notice in notices:
            if not notify(notice.title, notice.body):
                log.warning(
                    "customer %s: alert %s not delivered; will retry",
                    status.customer_id,
                    notice.incident.kind,
                )
                continue
            state = "resolved" if notice.resolved else "open"
            record_audit(store, ACTOR, f"alert:{notice.incident.kind}", {"state": state})
            sent.append(notice)
    return sent


def scheduled_alerts(
    engine: Engine, field_maps_dir: Path, *, budget_share: float
) -> Callable[[], list[Notice]] | None:
    """The alert pass the scheduler runs after its jobs, or None when no URL is configured.

    Raises ConfigError for a URL Apprise does not understand (at start-up, not at a pass).
    """
    settings = get_alert_settings()
    urls = settings.url_list()
    if not urls:
        return None
    notify = apprise_notifier(urls)
    return lambda: run_alerts(
        engine,
        field_maps_dir,
        notify,
        budget_share=budget_share,
        failing_after=settings.failing_after,
    )
