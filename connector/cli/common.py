"""What every command shares: the console, logging, settings, the store and error exits."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rich.console import Console
from rich.logging import RichHandler
from sqlalchemy.engine import Engine

from connector.config import Settings, get_settings
from connector.store import TenantStore, create_schema, make_engine

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    debug: bool = False


state = CliState()


def setup_logging(verbose: bool, debug: bool) -> None:
    """Log to stderr through Rich; `--verbose` shows info, `--debug` everything."""
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, rich_tracebacks=debug)],
        force=True,
    )
    for noisy in ("urllib3", "httpx", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def open_engine(settings: Settings | None = None) -> Engine:
    """The store's engine, with its schema in place."""
    settings = settings or get_settings()
    engine = make_engine(settings.resolved_database_url())
    create_schema(engine)
    return engine


def open_store(
    customer: str, settings: Settings | None = None, *, command: str = "a command"
) -> TenantStore:
    """The customer's partition of the store. Refuses an erased customer (ErasedCustomer),
    recording the refused `command` in its audit trail."""
    from connector.privacy.audit import cli_actor
    from connector.privacy.tombstone import refuse_if_erased

    engine = open_engine(settings)
    refuse_if_erased(engine, customer, cli_actor(), command)
    return TenantStore(engine, customer)
