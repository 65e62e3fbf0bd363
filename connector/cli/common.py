"""What every command shares: the console, logging, settings, the store and known customers.

Kept light: the store (SQLAlchemy, SQLModel) is imported only when a command opens it.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from connector.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from connector.config import Settings
    from connector.store import TenantStore

console = Console(soft_wrap=not sys.stdout.isatty())
err_console = Console(stderr=True)

#: URL schemes of the stores the connector supports.
STORE_SCHEMES = ("sqlite", "postgresql", "postgres")


@dataclass
class CliState:
    debug: bool = False


state = CliState()


def setup_logging(verbose: bool, debug: bool) -> None:
    """Log to stderr through Rich; `--verbose` shows info, `--debug` everything."""
    from rich.logging import RichHandler

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


def settings_now() -> Settings:
    """The process's settings (imported on first use)."""
    from connector.config import get_settings

    return get_settings()


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    scheme, _, rest = url.partition("://")
    if scheme.split("+")[0] != "sqlite":
        return None
    name = rest[1:] if rest.startswith("/") else rest
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name.split("?")[0])


def check_store_url(url: str, *, create: bool) -> None:
    """Refuse an unsupported database, and a SQLite file that is not there (unless `create`).

    A typo in a SQLite path would otherwise create a new, empty store and every command would
    report nothing to do. Raises ConfigError naming the URL or the file.
    """
    scheme = url.partition("://")[0].split("+")[0]
    if scheme not in STORE_SCHEMES:
        raise ConfigError(
            f"CONNECTOR_DATABASE_URL uses {scheme or 'no'} scheme; the store is SQLite "
            "(sqlite:///path.db) or PostgreSQL (postgresql://user@host/db)"
        )
    path = sqlite_path(url)
    if path is not None and not create and not path.is_file():
        raise ConfigError(
            f"no store at {path}: check CONNECTOR_DATABASE_URL / CONNECTOR_HOME (a new store is "
            "made by `connector auth jwt`, `connector auth login` or `connector demo`)"
        )


def open_engine(settings: Settings | None = None, *, create: bool = False) -> Engine:
    """The store's engine, its schema checked (read-only).

    A store behind the code is refused with one line naming `connector db upgrade`; only a
    brand-new SQLite file is initialised. `create` lets a command that connects the first
    customer make a new SQLite store; every other command refuses a SQLite file that does not
    exist. Raises ConfigError or StoreError.
    """
    from connector.store.engine import open_engine as open_store_engine

    settings = settings or settings_now()
    url = settings.resolved_database_url()
    check_store_url(url, create=create)
    try:
        return open_store_engine(url, tenant_key=settings.tenant_key)
    except StoreError as exc:
        raise store_failure(url, exc) from exc


def store_failure(url: str, exc: Exception) -> StoreError:
    """A one-line StoreError naming the store (never its SQL) for a failure to open it."""
    path = sqlite_path(url)
    where = str(path) if path else url.split("@")[-1]
    cause = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    cause = cause.split("[SQL:")[0].strip()
    hint = (
        "the file is not a healthy SQLite database; restore it from a backup or move it away"
        if path
        else "check the server is up and CONNECTOR_DATABASE_URL is right"
    )
    return StoreError(f"cannot open the store at {where}: {cause}; {hint}")


def open_store(
    customer: str, settings: Settings | None = None, *, create: bool = False
) -> TenantStore:
    """The customer's partition of the store (`create` as for `open_engine`)."""
    from connector.store import TenantStore

    return TenantStore(open_engine(settings, create=create), customer)


def known_customers(engine: Engine | None, settings: Settings) -> set[str]:
    """Customers with a field map, a CRM connection or stored rows (`connector.store.customers`)."""
    from connector.store.customers import known_customer_ids

    return set(known_customer_ids(engine, Path(settings.field_maps_dir)))


def stored_customer_ids(engine: Engine) -> set[str]:
    """Customers the store holds a customer row, connection, prospect, activity or run of."""
    from connector.store.customers import stored_customer_ids as stored

    return stored(engine)


def is_known(customer: str, engine: Engine | None = None) -> bool:
    """Whether the customer has a field map, a connection or stored rows."""
    return customer in known_customers(engine, settings_now())


def require_customer(
    customer: str, settings: Settings | None = None, engine: Engine | None = None
) -> None:
    """Refuse a customer with no field map, connection or stored rows, suggesting a near name.

    Commands call this before they write anything (an audit row included), so a typo leaves
    no trace. The one check of `connector.store.customers`. Raises ConfigError.
    """
    from connector.store.customers import require_known_customer

    settings = settings or settings_now()
    require_known_customer(engine, Path(settings.field_maps_dir), customer)
