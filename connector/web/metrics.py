"""Counters in the Prometheus text format, hand-written (no client library needed).

Each app has its own `Metrics`; `GET /metrics` renders it. Label values are fixed words
chosen by the code (hook names, outcomes, status classes), never customer data.
"""

from __future__ import annotations

import threading
from collections import defaultdict

_HELP: dict[str, str] = {
    "connector_http_responses_total": "HTTP responses sent, by status class.",
    "connector_hook_requests_total": "Resync hook requests, by hook and outcome.",
    "connector_resync_requests_recorded_total": "Resync requests recorded, by source.",
}


class Metrics:
    """A thread-safe set of labelled counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        """Add `amount` to the counter `name` with `labels`."""
        if name not in _HELP:
            raise KeyError(f"unknown metric {name!r}; known: {', '.join(sorted(_HELP))}")
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._values[name]
            series[key] = series.get(key, 0.0) + amount

    def value(self, name: str, **labels: str) -> float:
        """The counter's current value (0 when never incremented)."""
        with self._lock:
            return self._values.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> str:
        """Every counter in the Prometheus text exposition format (version 0.0.4)."""
        lines: list[str] = []
        with self._lock:
            snapshot = {name: dict(series) for name, series in self._values.items()}
        for name in sorted(_HELP):
            lines += [f"# HELP {name} {_HELP[name]}", f"# TYPE {name} counter"]
            for key, value in sorted(snapshot.get(name, {}).items()):
                lines.append(f"{name}{_labels(key)} {_number(value)}")
        return "\n".join(lines) + "\n"


def _labels(key: tuple[tuple[str, str], ...]) -> str:
    if not key:
        return ""
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in key) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)
