"""The web app's Prometheus metrics, on the maintained client library.

Each app has its own `Metrics` (its own registry, so tests and several apps in one process do
not share counters). `GET /metrics` renders the app's own counters (HTTP responses, hooks,
resync requests) and, when the app has a store, the fleet's per-customer figures read from it
at scrape time (`connector.ops.metrics`). Label values are words chosen by the code or
customer ids, never personal data.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, disable_created_metrics, generate_latest
from prometheus_client.registry import Collector

#: name -> (help, label names) of the counters the app increments.
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "connector_http_responses_total": ("HTTP responses sent, by status class.", ("status",)),
    "connector_hook_requests_total": (
        "Resync hook requests, by hook and outcome.",
        ("hook", "outcome"),
    ),
    "connector_resync_requests_recorded_total": (
        "Resync requests recorded, by source.",
        ("source",),
    ),
}

# `_created` series double every counter and say nothing an operator needs here.
disable_created_metrics()

#: Content type of the text exposition format that `render` produces.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The app's counters, plus any collectors added (the fleet's figures)."""

    def __init__(self, *collectors: Collector) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._counters = {
            name: Counter(name, text, labels, registry=self.registry)
            for name, (text, labels) in COUNTERS.items()
        }
        for collector in collectors:
            self.registry.register(collector)

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        """Add `amount` to the counter `name` with `labels`. Raises KeyError for unknown names."""
        counter = self._counters.get(name)
        if counter is None:
            raise KeyError(f"unknown metric {name!r}; known: {', '.join(sorted(COUNTERS))}")
        counter.labels(**labels).inc(amount)

    def value(self, name: str, **labels: str) -> float:
        """The counter's current value (0 when never incremented)."""
        sample = name if name.endswith("_total") else f"{name}_total"
        return self.registry.get_sample_value(sample, labels) or 0.0

    def render(self) -> str:
        """Every metric in the Prometheus text exposition format (version 0.0.4)."""
        return generate_latest(self.registry).decode()
