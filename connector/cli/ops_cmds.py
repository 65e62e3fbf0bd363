"""`connector scheduler run`, `connector worker`, `connector serve`, `connector webhook-secret`.

The long-running processes of a deployment: the scheduler loop (inline executor by default,
or Celery), a Celery worker, and the web app with the resync hooks.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from connector.cli.common import console, open_engine, settings_now
from connector.errors import ConfigError

if TYPE_CHECKING:
    from connector.schedule.executor import Executor
    from connector.schedule.metrics import ProcessMetrics
    from connector.schedule.runner import PassReport

log = logging.getLogger(__name__)

scheduler_app = typer.Typer(help="Run syncs when they are due (schedules and resync requests).")


EXECUTORS = ("inline", "celery")


_METRICS_PORT = typer.Option(
    None, "--metrics-port", min=1, max=65535, help="Serve this process's Prometheus metrics."
)
_METRICS_HOST = typer.Option(
    "127.0.0.1",
    "--metrics-host",
    help="Interface of --metrics-port (beyond loopback needs CONNECTOR_OPERATOR_TOKEN).",
)


@scheduler_app.command("run")
def scheduler_run(
    once: bool = typer.Option(False, "--once", help="Run one pass, then exit."),
    interval: float | None = typer.Option(
        None, "--interval", min=0.1, help="Seconds between passes (default 30)."
    ),
    executor: str = typer.Option(
        "inline", "--executor", help="inline: sync here; celery: enqueue to workers."
    ),
    metrics_port: int | None = _METRICS_PORT,
    metrics_host: str = _METRICS_HOST,
) -> None:
    """Sync every connected customer when its schedule or a resync request says so."""
    if executor not in EXECUTORS:
        raise typer.BadParameter(f"choose one of {', '.join(EXECUTORS)}", param_hint="--executor")
    metrics = _start_metrics(metrics_host, metrics_port)
    from connector.privacy.settings import load_privacy_settings
    from connector.schedule.executor import InlineExecutor
    from connector.schedule.runner import run_loop
    from connector.schedule.settings import get_schedule_settings

    settings = settings_now()
    schedule = get_schedule_settings()
    load_privacy_settings()  # retention's settings: refuse a bad value before the first pass
    engine = open_engine(settings)
    runner: Executor
    if executor == "celery":
        from connector.schedule.celery_app import CeleryExecutor

        runner = CeleryExecutor()
    else:
        runner = InlineExecutor(engine, settings, ttl=timedelta(seconds=schedule.lease_ttl))

    from connector.ops.notify import scheduled_alerts

    alerts = scheduled_alerts(
        engine, settings.field_maps_dir, budget_share=settings.api_budget_share
    )

    def show(report: PassReport) -> None:
        log.info(
            "scheduler pass: %d due, %d run, %d erasures, %d column checks, %d alerts sent",
            len(report.due),
            len(report.outcomes),
            report.erasures,
            report.column_checks,
            report.alerts,
        )
        if once or report.due:
            console.print(_pass_table(report, executor))

    console.print(
        f"scheduler: {executor} executor, a pass every "
        f"{interval or schedule.scheduler_interval:g}s, "
        f"alerts {'on' if alerts else 'off (set CONNECTOR_ALERT_URLS)'}"
    )
    run_loop(
        engine,
        settings,
        runner,
        interval=interval or schedule.scheduler_interval,
        once=once,
        on_pass=show,
        alerts=alerts,
        metrics=metrics,
    )


def _pass_table(report: PassReport, executor: str) -> Table:
    table = Table(title=f"scheduler pass at {report.started_at:%Y-%m-%d %H:%M:%S} UTC")
    for name in ("customer", "reason", "result", "runs", "error"):
        table.add_column(name)
    outcomes = {o.customer_id: o for o in report.outcomes}
    for job in report.due:
        outcome = outcomes.get(job.customer_id)
        if outcome is None:
            result = "enqueued" if executor == "celery" else "not run"
            table.add_row(job.customer_id, job.reason, result, "", "")
            continue
        table.add_row(
            job.customer_id,
            job.reason,
            outcome.status,
            " ".join(outcome.run_ids),
            outcome.error_code or "",
        )
    if not report.due:
        table.caption = "nothing due"
    return table


def worker(
    concurrency: int = typer.Option(1, "--concurrency", "-c", min=1, help="Worker processes."),
    pool: str = typer.Option("prefork", "--pool", help="Celery pool: prefork, solo, threads."),
    loglevel: str = typer.Option("INFO", "--loglevel", help="Celery's log level."),
    metrics_port: int | None = _METRICS_PORT,
    metrics_host: str = _METRICS_HOST,
) -> None:
    """Start a Celery worker running sync tasks (broker: CONNECTOR_CELERY_BROKER_URL)."""
    if metrics_port is not None and pool == "prefork":
        raise ConfigError(
            "--metrics-port counts the jobs this process runs: use --pool solo or --pool threads"
        )
    try:
        from connector.schedule.celery_app import app as celery
    except ImportError as exc:
        raise ConfigError(
            f"Celery is not installed ({exc.name}); pip install 'connector[celery]'"
        ) from exc
    _start_metrics(metrics_host, metrics_port)
    celery.worker_main(
        ["worker", f"--concurrency={concurrency}", f"--pool={pool}", f"--loglevel={loglevel}"]
    )


def _start_metrics(host: str, port: int | None) -> ProcessMetrics | None:
    """Serve the process's metrics when asked (ConfigError when refused)."""
    if port is None:
        return None
    from connector.schedule.metrics import start
    from connector.web.settings import load_web_settings

    secret = load_web_settings().operator_token
    metrics, _ = start(host, port, secret.get_secret_value() if secret else None)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"metrics: http://{shown}:{port}/metrics", err=True)
    return metrics


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on."),
) -> None:
    """Serve the resync hooks, the operator API and /metrics (behind a TLS proxy in production)."""
    import uvicorn

    from connector.web import create_app
    from connector.web.settings import load_web_settings
    from connector.web.startup import check_bind, startup_line

    settings = load_web_settings()
    check_bind(host, settings)
    app = create_app(web_settings=settings)
    console = any(getattr(route, "path", None) == "/console" for route in app.routes)
    typer.echo(startup_line(host, port, settings, console=console), err=True)
    logging.getLogger("connector.access").setLevel(logging.INFO)  # one line per request
    uvicorn.run(app, host=host, port=port, log_level="warning")


def webhook_secret(
    customer: str = typer.Argument(..., metavar="CUSTOMER", help="Customer id."),
) -> None:
    """Print the customer's signed-webhook secret (derived from CONNECTOR_WEBHOOK_SECRET)."""
    from connector.store.base import check_customer_id
    from connector.web.settings import load_web_settings
    from connector.web.signing import customer_secret

    master = load_web_settings().webhook_secret
    if master is None:
        raise ConfigError("set CONNECTOR_WEBHOOK_SECRET first (a long random value)")
    typer.echo(customer_secret(master.get_secret_value(), check_customer_id(customer)))


def register(app: typer.Typer) -> None:
    """Mount the operations commands on the `connector` app."""
    app.add_typer(scheduler_app, name="scheduler")
    app.command()(worker)
    app.command()(serve)
    app.command("webhook-secret")(webhook_secret)
