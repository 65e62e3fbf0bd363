"""The fleet's figures as Prometheus metrics, read from the store at scrape time.

`fleet_samples` is pure: it turns the facts `connector.ops.fleet` gathers into metric
families. `FleetCollector` is the thin I/O wrapper the web app registers. Every series is
labelled by customer id (and by fixed words: kind, status, state), never by personal data, so
cardinality grows with customers only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from connector.ops.status import TROUBLE_ORDER, CustomerStatus

#: Upper bounds (seconds) of the run-duration histogram's buckets.
DURATION_BUCKETS: tuple[float, ...] = (5, 15, 30, 60, 120, 300, 600, 1800, 3600)

_RUNNABLE = ("active", "failing")


@dataclass(frozen=True)
class CustomerFigures:
    """What the metrics need of one customer beyond its status."""

    status: CustomerStatus
    run_counts: Mapping[tuple[str, str], int]
    last_success: Mapping[str, datetime | None]


def fleet_samples(figures: Sequence[CustomerFigures], now: datetime) -> list[Metric]:
    """The metric families of the whole fleet (one series per customer and label value)."""
    state = GaugeMetricFamily(
        "connector_customer_state",
        "1 for the customer's current state (active, paused, reconnect_needed, failing, erasing).",
        labels=["customer", "state"],
    )
    runs = CounterMetricFamily(
        "connector_runs",
        "Stored runs, by kind and final status.",
        labels=["customer", "kind", "status"],
    )
    duration = HistogramMetricFamily(
        "connector_run_duration_seconds",
        "Durations of the customer's recent finished runs (the last ten), by kind.",
        labels=["customer", "kind"],
    )
    rows = GaugeMetricFamily(
        "connector_last_pull_rows",
        "Rows of the customer's last pull: read, written (changed prospects) and rejected.",
        labels=["customer", "what"],
    )
    api_used = GaugeMetricFamily(
        "connector_api_used",
        "The org's API requests used today, as last seen.",
        labels=["customer"],
    )
    api_limit = GaugeMetricFamily(
        "connector_api_limit", "The org's daily API allowance, as last seen.", labels=["customer"]
    )
    outbox = GaugeMetricFamily(
        "connector_outbox_activities",
        "Activities waiting to be pushed (pending) or refused by the CRM (parked).",
        labels=["customer", "status"],
    )
    resyncs = GaugeMetricFamily(
        "connector_pending_resyncs", "Resync requests not yet run.", labels=["customer"]
    )
    since = GaugeMetricFamily(
        "connector_seconds_since_last_success",
        "Seconds since the customer's last successful run of the kind finished.",
        labels=["customer", "kind"],
    )
    lag = GaugeMetricFamily(
        "connector_schedule_lag_seconds",
        "How long an active customer's due run has been waiting (0 when not yet due).",
        labels=["customer"],
    )
    for item in figures:
        s, c = item.status, item.status.customer_id
        for word in TROUBLE_ORDER:
            state.add_metric([c, word], 1.0 if s.state == word else 0.0)
        for (kind, status), count in sorted(item.run_counts.items()):
            runs.add_metric([c, kind, status], count)
        for kind in ("pull", "push"):
            _add_histogram(duration, c, kind, _durations(s, kind))
        if s.last_pull is not None:
            rows.add_metric([c, "read"], s.last_pull.rows_read)
            rows.add_metric([c, "written"], s.last_pull.prospects_written)
            rows.add_metric([c, "rejected"], s.last_pull.rejected)
        if s.api.used is not None:
            api_used.add_metric([c], s.api.used)
        if s.api.limit is not None:
            api_limit.add_metric([c], s.api.limit)
        outbox.add_metric([c, "pending"], s.pending_activities)
        outbox.add_metric([c, "parked"], s.parked_activities)
        resyncs.add_metric([c], s.pending_resyncs)
        for kind, when in sorted(item.last_success.items()):
            if when is not None:
                since.add_metric([c, kind], max(0.0, (now - when).total_seconds()))
        if s.state in _RUNNABLE:
            overdue = (now - s.next_due_at).total_seconds() if s.next_due_at else 0.0
            lag.add_metric([c], max(0.0, overdue))
    return [state, runs, duration, rows, api_used, api_limit, outbox, resyncs, since, lag]


def _durations(status: CustomerStatus, kind: str) -> list[float]:
    return [
        run.duration_seconds
        for run in status.recent_runs
        if run.kind == kind and run.duration_seconds is not None
    ]


def _add_histogram(
    family: HistogramMetricFamily, customer: str, kind: str, values: Iterable[float]
) -> None:
    values = list(values)
    buckets = [
        (_le(bound), float(sum(1 for v in values if v <= bound))) for bound in DURATION_BUCKETS
    ]
    buckets.append(("+Inf", float(len(values))))
    family.add_metric([customer, kind], buckets, sum_value=sum(values))


def _le(bound: float) -> str:
    return str(float(bound))


class FleetCollector:
    """A Prometheus collector that reads the fleet from the store at every scrape."""

    def __init__(
        self, read: Callable[[], Sequence[CustomerFigures]], clock: Callable[[], datetime]
    ) -> None:
        self._read = read
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        """The fleet's metric families (the store is read once per scrape)."""
        yield from fleet_samples(self._read(), self._clock())

    def describe(self) -> list[Metric]:
        """Nothing up front: describing would read the store at registration."""
        return []
