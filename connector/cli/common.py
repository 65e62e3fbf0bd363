"""What every command shares: the console, logging, settings, the store and error exits."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from rich.console import Console
from rich.logging import RichHandler
from sqlalchemy.engine import Engine

from connector.config import Settings, get_settings
from connector.store import TenantStore
from connector.store.engine import open_engine as open_store_engine

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    debug: bool = False


state = CliState()


def setup_logging(verbose: bool, debug: bool) -> None:
    """Log to stderr through Rich; `--verbose` shows info, `--debug` everything."""
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    handler: logging.Handler
    if os.environ.get("CONNECTOR_LOG_FORMAT", "").lower() == "json":
        from connector.logs import json_handler

        handler = json_handler()
    else:
        handler = RichHandler(console=err_console, show_path=False, rich_tracebacks=debug)
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    for noisy in ("urllib3", "httpx", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def open_engine(settings: Settings | None = None) -> Engine:
    """The store's engine, its schema checked (read-only): a store behind the code is refused
    with one line naming `connector db upgrade` (ConfigError)."""
    settings = settings or get_settings()
    return open_store_engine(settings.resolved_database_url(), tenant_key=settings.tenant_key)


def open_store(customer: str, settings: Settings | None = None) -> TenantStore:
    """The customer's partition of the store."""
    return TenantStore(open_engine(settings), customer)
