"""`SandboxOrg`: the whole state of one emulated Salesforce org, shared by every endpoint.

Data (accounts, contacts, leads, users, tasks, folders, reports), OAuth state, fault rules,
API usage counters, open query cursors and the request log all live here, so a test can
arrange and inspect the org directly while clients talk to it over HTTPS.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from connector.sandbox.faults import FaultInjector, FaultRule
from connector.sandbox.ids import IdSequence
from connector.sandbox.report_limits import ReportRunLimits
from connector.sandbox.reports import Folder, Report, ReportInstance
from connector.sandbox.request_log import RequestLog, RequestLogEntry
from connector.sandbox.seed import SeedConfig, SeededData, build
from connector.sandbox.tables import RecordTable, Row
from connector.sandbox.tokens import ConnectedApp, TokenStore

INTEGRATION_USERNAME = "integration@demo.example"
DEFAULT_DAILY_MAX = 15_000
MAX_OPEN_CURSORS = 64


@dataclass
class QueryCursor:
    """An open query locator: the matching ids and how to project them."""

    locator: str
    sobject: str
    record_ids: list[str]
    fields: tuple[str, ...]
    include_deleted: bool
    batch_size: int


class SandboxOrg:
    """One emulated org. Build it with `SandboxOrg.seeded(SeedConfig(...))`."""

    def __init__(self, data: SeededData, config: SeedConfig) -> None:
        self.config = config
        self.organization: Row = data.organization
        self.organization_id: str = data.organization["Id"]
        self.accounts = data.accounts
        self.contacts = data.contacts
        self.leads = data.leads
        self.users = data.users
        self.tasks = data.tasks
        self.folders: dict[str, Folder] = data.folders
        self.reports: dict[str, Report] = data.reports
        self.id_sequences: dict[str, IdSequence] = data.ids
        self.tokens = TokenStore(self.organization_id[:15])
        self.access_token_ttl: float | None = None
        self.auto_consent = True
        self.base_url: str | None = None
        self.api_daily_max = DEFAULT_DAILY_MAX
        self.api_usage = 0
        self.lock = threading.RLock()
        self._faults = FaultInjector()
        self._log = RequestLog()
        self._cursors: OrderedDict[str, QueryCursor] = OrderedDict()
        self._serials: dict[str, int] = {}
        self.report_cache: dict[tuple[Any, ...], Any] = {}
        self.report_limits = ReportRunLimits()
        self.report_instances: dict[str, ReportInstance] = {}

    @classmethod
    def seeded(cls, config: SeedConfig | None = None) -> SandboxOrg:
        """A new org filled with the deterministic demo data of `config`."""
        config = config or SeedConfig()
        return cls(build(config), config)

    # -- users and apps --------------------------------------------------------------------
    @property
    def integration_user_id(self) -> str:
        user = self.user_by_username(INTEGRATION_USERNAME)
        assert user is not None
        return str(user["Id"])

    def user_by_username(self, username: str) -> Row | None:
        lowered = username.lower()
        for row in self.users.iter_rows():
            if str(row["Username"]).lower() == lowered:
                return row
        return None

    def register_app(self, app: ConnectedApp) -> None:
        """Register (or replace) a connected app."""
        self.tokens.register_app(app)

    def expire_all_access_tokens(self) -> None:
        """Every current access token answers 401 INVALID_SESSION_ID from now on."""
        self.tokens.expire_all_access_tokens()

    # -- faults ----------------------------------------------------------------------------
    @property
    def faults(self) -> list[FaultRule]:
        return self._faults.rules

    @property
    def fault_injector(self) -> FaultInjector:
        return self._faults

    def set_faults(self, rules: list[FaultRule]) -> None:
        self._faults.set(rules)

    def clear_faults(self) -> None:
        self._faults.set([])

    # -- request log -----------------------------------------------------------------------
    @property
    def request_log(self) -> list[RequestLogEntry]:
        """A snapshot of the log (oldest first)."""
        return self._log.snapshot()

    def log_request(self, entry: RequestLogEntry) -> None:
        self._log.append(entry)

    def clear_request_log(self) -> None:
        self._log.clear()

    # -- API usage -------------------------------------------------------------------------
    def consume_api_call(self) -> bool:
        """Count one API call; False (and no count) when the daily allocation is used up."""
        with self.lock:
            if self.api_usage >= self.api_daily_max:
                return False
            self.api_usage += 1
            return True

    @property
    def limit_info(self) -> str:
        return f"api-usage={self.api_usage}/{self.api_daily_max}"

    # -- data access -----------------------------------------------------------------------
    def table(self, sobject: str) -> RecordTable | None:
        """The record table of a data object (Account, Contact, Lead, Task, User)."""
        tables = {
            "account": self.accounts,
            "contact": self.contacts,
            "lead": self.leads,
            "task": self.tasks,
            "user": self.users,
        }
        return tables.get(sobject.lower())

    def next_id(self, kind: str) -> str:
        """A fresh id of a kind that has no table (query locators, notifications, ...)."""
        with self.lock:
            serial = self._serials.get(kind, 0) + 1
            self._serials[kind] = serial
            return self.id_sequences[kind].id_for(serial)

    # -- query cursors ---------------------------------------------------------------------
    def open_cursor(self, cursor: QueryCursor) -> None:
        with self.lock:
            self._cursors[cursor.locator] = cursor
            while len(self._cursors) > MAX_OPEN_CURSORS:
                self._cursors.popitem(last=False)

    def cursor(self, locator: str) -> QueryCursor | None:
        with self.lock:
            return self._cursors.get(locator)

    def describe_state(self) -> dict[str, Any]:
        """A small summary for the admin API and the CLI."""
        return {
            "organization_id": self.organization_id,
            "api_usage": self.api_usage,
            "api_daily_max": self.api_daily_max,
            "hourly_sync_report_runs": {
                "max": self.report_limits.hourly_sync_max,
                "remaining": self.report_limits.remaining_sync(),
            },
            "hourly_async_report_runs": {
                "max": self.report_limits.hourly_async_max,
                "remaining": self.report_limits.remaining_async(),
            },
            "tasks": len(self.tasks),
            "reports": {r.developer_name: r.id for r in self.reports.values()},
            "folders": {f.developer_name: f.id for f in self.folders.values()},
        }
