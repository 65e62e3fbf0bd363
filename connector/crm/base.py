"""The CRM adapter protocol: the only surface that sync and privacy code see.

Everything Salesforce-specific (factMap, SObject, SOQL) stays behind this protocol in
`crm/salesforce/`. Values crossing it are plain Python data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ReportRef:
    """A report inside the customer's configured folder."""

    id: str
    name: str
    developer_name: str
    folder_id: str


@dataclass(frozen=True)
class ColumnInfo:
    """A report column as the CRM describes it: API name, label and data type."""

    name: str
    label: str
    data_type: str


@dataclass(frozen=True)
class ReportShape:
    """What decides whether a report can be paged: format, custom filters, row limit."""

    format: str  # tabular, summary, matrix, multiblock
    filters: int
    row_limit: int | None = None


@dataclass(frozen=True)
class ReportPage:
    """One page of report rows: each row maps report column -> raw cell value.

    `cursor` is the last id column value on the page: the checkpoint to resume after.
    `done` is true when no rows remain after this page; `total` is the report's row count
    when the CRM says it (for progress bars).
    """

    rows: list[dict[str, Any]]
    cursor: str | None
    done: bool
    total: int | None = None


@dataclass(frozen=True)
class ApiUsage:
    """The org's daily API consumption as last reported by the CRM."""

    used: int
    limit: int

    @property
    def share(self) -> float:
        return self.used / self.limit if self.limit else 0.0


@dataclass(frozen=True)
class UpsertResult:
    """The outcome of upserting one activity record, in input order."""

    external_id: str
    success: bool
    crm_id: str | None = None
    created: bool | None = None
    error_code: str | None = None
    error_message: str | None = None
    transient: bool = False


@dataclass
class CallCounter:
    """Counts the API calls one adapter made, for run bookkeeping and budgets."""

    calls: int = 0
    usage: ApiUsage | None = None
    # the org's hourly synchronous report runs (left, allowed), counting this adapter's own
    report_runs: tuple[int, int] | None = None
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str) -> None:
        self.calls += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


class CrmAdapter(Protocol):
    """What the connector needs from a CRM. Methods raise `CrmError` subclasses or `AuthError`."""

    @property
    def counter(self) -> CallCounter:
        """The calls this adapter made so far, and the org's usage as last reported."""
        ...

    def list_reports(self, folder: str) -> list[ReportRef]:
        """The reports inside `folder` (developer name or id), and nothing outside it."""
        ...

    def describe_report_columns(self, report: ReportRef) -> dict[str, str]:
        """Report column name -> data type, for every column the report can return."""
        ...

    def describe_report_shape(self, report: ReportRef) -> ReportShape:
        """The report's format, number of custom filters and row limit."""
        ...

    def iter_report_pages(
        self,
        report: ReportRef,
        id_column: str,
        columns: Sequence[str],
        after: str | None = None,
    ) -> Iterator[ReportPage]:
        """Yield the report's rows, `columns` only, in id order, resuming after `after`."""
        ...

    def describe_object_fields(self, sobject: str) -> dict[str, Mapping[str, Any]]:
        """Field name -> field metadata for one CRM object (used to check write-back fields)."""
        ...

    def upsert_activities(
        self, sobject: str, external_id_field: str, records: Sequence[Mapping[str, Any]]
    ) -> list[UpsertResult]:
        """Upsert activity records keyed by `external_id_field`; one result per record."""
        ...
