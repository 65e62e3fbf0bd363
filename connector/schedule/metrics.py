"""Prometheus metrics of the scheduler and worker processes, on their own optional port.

Each process keeps its own figures (a per-process port, not multiprocess mode): `connector
scheduler run --metrics-port N` exposes its passes (count by result, durations), the customers
due at the last pass, the jobs it ran inline and the column checks; `connector worker
--metrics-port N` the jobs it ran (a worker with this port runs its tasks in its own process:
`--pool solo` or `threads`). Labels are fixed words only, never a customer id or personal data.

The port listens on loopback unless told otherwise; beyond loopback it needs the operator token
(`CONNECTOR_OPERATOR_TOKEN`) and refuses to start without one (fail closed). When the token is
set every scrape must send it as a bearer token.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from connector.errors import ConfigError
from connector.loopback import is_loopback_host

#: Upper bounds (seconds) of the pass-duration histogram's buckets.
PASS_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600)


class ProcessMetrics:
    """The figures of one scheduler or worker process."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.passes = Counter(
            "connector_scheduler_passes", "Scheduler passes, by result.", ["result"], registry=r
        )
        self.pass_seconds = Histogram(
            "connector_scheduler_pass_duration_seconds",
            "How long each scheduler pass took.",
            buckets=PASS_BUCKETS,
            registry=r,
        )
        self.due = Gauge(
            "connector_scheduler_due_customers", "Customers due at the last pass.", registry=r
        )
        self.jobs = Counter(
            "connector_jobs", "Sync jobs run by this process, by outcome.", ["status"], registry=r
        )
        self.column_checks = Counter(
            "connector_column_checks", "Daily online column checks run by this process.", registry=r
        )
        self.erasures = Counter(
            "connector_scheduler_erasures", "Due erasures run by the scheduler.", registry=r
        )
        for result in ("ok", "failed"):
            self.passes.labels(result=result)

    def observe_pass(self, report: Any, seconds: float) -> None:
        """A pass that ran (`report` is the runner's PassReport)."""
        self.passes.labels(result="ok").inc()
        self.pass_seconds.observe(seconds)
        self.due.set(len(report.due))
        self.column_checks.inc(report.column_checks)
        self.erasures.inc(report.erasures)
        self.observe_jobs(report.outcomes)

    def observe_failed_pass(self, seconds: float) -> None:
        """A pass the store's failure stopped."""
        self.passes.labels(result="failed").inc()
        self.pass_seconds.observe(seconds)

    def observe_jobs(self, outcomes: Iterable[Any]) -> None:
        """Jobs run in this process (their `status`: succeeded, failed, busy, not_due, lost)."""
        for outcome in outcomes:
            self.jobs.labels(status=outcome.status).inc()


#: This process's metrics once `start` ran (jobs run elsewhere record into it).
_current: ProcessMetrics | None = None


def current() -> ProcessMetrics | None:
    return _current


def record_job(outcome: Any) -> None:
    """Count one job in this process's metrics, if it exposes any."""
    if _current is not None:
        _current.observe_jobs([outcome])


def check_metrics_bind(host: str, token: str | None) -> None:
    """Refuse (ConfigError) a non-loopback metrics address without the operator token."""
    if token is None and not is_loopback_host(host):
        raise ConfigError(
            f"refusing to serve metrics on {host}: set CONNECTOR_OPERATOR_TOKEN before "
            "exposing them beyond loopback, or use --metrics-host 127.0.0.1"
        )


def guarded(app: Any, token: str | None) -> Any:
    """The WSGI app, requiring `Authorization: Bearer <token>` when a token is set."""
    if token is None:
        return app
    expected = f"Bearer {token}".encode()

    def check(environ: dict[str, Any], start_response: Any) -> Any:
        sent = environ.get("HTTP_AUTHORIZATION", "").encode()
        if not hmac.compare_digest(sent, expected):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")],
            )
            return [b"a bearer token is required\n"]
        return app(environ, start_response)

    return check


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No per-scrape line on stderr."""


def start(
    host: str, port: int, token: str | None, metrics: ProcessMetrics | None = None
) -> tuple[ProcessMetrics, WSGIServer]:
    """Serve this process's metrics (or `metrics`) on `host:port` in a daemon thread; they
    become the process's current metrics. Raises ConfigError when refused or the port is
    taken."""
    global _current
    check_metrics_bind(host, token)
    metrics = metrics or _current or ProcessMetrics()
    app = guarded(make_wsgi_app(metrics.registry), token)
    try:
        server = make_server(host, port, app, ThreadingWSGIServer, handler_class=_Quiet)
    except OSError as exc:
        raise ConfigError(
            f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}; choose another "
            "--metrics-port"
        ) from exc
    threading.Thread(target=server.serve_forever, daemon=True, name="metrics").start()
    _current = metrics
    return metrics, server
