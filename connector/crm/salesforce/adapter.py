"""`SalesforceAdapter`: the `CrmAdapter` protocol over Salesforce's REST and Analytics APIs."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from simple_salesforce.format import format_soql

from connector.crm.base import (
    CallCounter,
    ColumnInfo,
    ReportPage,
    ReportRef,
    ReportShape,
    UpsertResult,
)
from connector.crm.salesforce import reports as rpt
from connector.crm.salesforce.run_budget import DEFAULT_SHARE, RunLimits, RunMode, RunPlanner
from connector.crm.salesforce.session import SalesforceSession
from connector.errors import ConfigError, CrmRateLimited, CrmRejected, CrmTransient

_FOLDER_ID = re.compile(r"^00l[0-9A-Za-z]{12}([0-9A-Za-z]{3})?$")
_FOLDER_BY_ID = "SELECT Id, DeveloperName FROM Folder WHERE Type = 'Report' AND Id = {}"
_FOLDER_BY_NAME = (
    "SELECT Id, DeveloperName FROM Folder WHERE Type = 'Report' AND DeveloperName = {}"
)
COLLECTION_LIMIT = 200
TRANSIENT_RECORD_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
#: Waits between polls of an asynchronous report instance (about 10 minutes in all).
POLL_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0, *([10.0] * 58))


class SalesforceAdapter:
    """Reads reports from one folder and upserts activities, for one customer."""

    def __init__(
        self,
        session: SalesforceSession,
        *,
        report_run_share: float = DEFAULT_SHARE,
        poll_sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session
        self.customer = session.customer
        self.report_run_share = report_run_share
        self.poll_sleep = poll_sleep
        self._describes: dict[str, dict[str, Any]] = {}
        self._planner: RunPlanner | None = None

    @property
    def counter(self) -> CallCounter:
        return self.session.counter

    # reports --------------------------------------------------------------------------

    def list_reports(self, folder: str) -> list[ReportRef]:
        """The reports inside `folder` (a folder DeveloperName or 00l id), sorted by name."""
        folder_id = self._folder_id(folder)
        soql = format_soql(
            "SELECT Id, Name, DeveloperName, Format FROM Report WHERE OwnerId = {} "
            "ORDER BY DeveloperName",
            folder_id,
        )
        records = self.session.call("query", lambda sf: sf.query_all(soql))["records"]
        return [
            ReportRef(
                id=r["Id"], name=r["Name"], developer_name=r["DeveloperName"], folder_id=folder_id
            )
            for r in records
        ]

    def _folder_id(self, folder: str) -> str:
        by_id = bool(_FOLDER_ID.match(folder))
        template = _FOLDER_BY_ID if by_id else _FOLDER_BY_NAME
        soql = format_soql(template, folder)
        records = self.session.call("query", lambda sf: sf.query(soql))["records"]
        if not records:
            raise ConfigError(
                f"report folder {folder!r} does not exist in the org (or the integration user "
                "cannot see it); check source.report_folder in the field map",
                customer=self.customer,
            )
        return str(records[0]["Id"])

    def describe_report(self, report: ReportRef) -> dict[str, Any]:
        """The report's describe document (cached for the adapter's life)."""
        if report.id not in self._describes:
            self._describes[report.id] = self._rest(
                "report_describe",
                f"analytics/reports/{report.id}/describe",
                report=report.developer_name,
            )
        return self._describes[report.id]

    def describe_report_columns(self, report: ReportRef) -> dict[str, str]:
        return rpt.column_types(self.describe_report(report))

    def describe_report_column_info(self, report: ReportRef) -> list[ColumnInfo]:
        """Every column the report can return, with its label (for drafting a field map)."""
        return [ColumnInfo(*column) for column in rpt.column_info(self.describe_report(report))]

    def describe_report_shape(self, report: ReportRef) -> ReportShape:
        """The report's format, custom filter count and row limit (for `fieldmap check`)."""
        report_format, filters, row_limit = rpt.report_shape(self.describe_report(report))
        return ReportShape(report_format, filters, row_limit)

    def iter_report_pages(
        self,
        report: ReportRef,
        id_column: str,
        columns: Sequence[str],
        after: str | None = None,
        *,
        prefetch: bool = True,
    ) -> Iterator[ReportPage]:
        """Yield pages of at most 2,000 rows in id order, each ending at its cursor.

        With `prefetch`, the next page is fetched while the caller maps and stores this one
        (one request in flight at most, so memory holds two pages whatever the report size).
        Closing the generator early stops the in-flight request's retries.
        """
        describe = self.describe_report(report)
        saved = describe.get("reportMetadata") or {}
        report_format, filters, row_limit = rpt.report_shape(describe)
        if report_format == "matrix" or filters >= rpt.MAX_FILTERS or row_limit is not None:
            raise CrmRejected(
                f"report cannot be paged ({report_format}, {filters} filters, row limit "
                f"{row_limit}); `connector fieldmap check` says how to fix it",
                code="REPORT_NOT_PAGEABLE",
                customer=self.customer,
                report=report.developer_name,
            )
        requested = [id_column, *[c for c in columns if c != id_column]]
        self.session.resume()
        if not prefetch:
            while True:
                page = self._fetch_page(report, saved, id_column, requested, after)
                yield page
                if page.done:
                    return
                after = page.cursor
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-prefetch") as pool:
            pending = pool.submit(self._fetch_page, report, saved, id_column, requested, after)
            try:
                while True:
                    page = pending.result()
                    if not page.done:
                        pending = pool.submit(
                            self._fetch_page, report, saved, id_column, requested, page.cursor
                        )
                    yield page
                    if page.done:
                        return
            finally:
                if not pending.cancel() and not pending.done():
                    self.session.abort()

    def _fetch_page(
        self,
        report: ReportRef,
        saved: Mapping[str, Any],
        id_column: str,
        requested: list[str],
        after: str | None,
    ) -> ReportPage:
        body = rpt.run_body(saved, id_column, requested, after)
        if self._plan_page(report) == "sync":
            result = self._answer(
                "report_run",
                f"analytics/reports/{report.id}",
                report=report.developer_name,
                params={"includeDetails": "true"},
                method="POST",
                json=body,
            )
        else:
            result = self._run_async(report, body)
        shape_problem = rpt.answer_problem(result, requested)
        if shape_problem:
            raise CrmRejected(
                f"{shape_problem}; nothing of this page was stored. Check that the integration "
                "user may see the field (field-level security) and that the report type still "
                "has the column",
                code="COLUMN_MISSING",
                customer=self.customer,
                report=report.developer_name,
            )
        rows = rpt.decode_rows(result, requested)
        done = rpt.is_all_data(result) or not rows
        if rpt.is_grouped(result):
            if not done:
                raise CrmRejected(
                    "the org ran the report grouped although a tabular run was asked for, and "
                    "grouped rows over 2,000 cannot be paged; save it as a tabular report",
                    code="GROUPED_PAGING",
                    customer=self.customer,
                    report=report.developer_name,
                )
            rows.sort(key=lambda row: str(row.get(id_column) or ""))
        problem = rpt.keyset_problem(rows, id_column, after, done=done)
        if problem:
            raise CrmRejected(
                f"{problem}; stopping rather than risk skipping rows",
                code="PAGING_ORDER",
                customer=self.customer,
                report=report.developer_name,
            )
        cursor = rpt.page_cursor(rows, id_column, after)
        return ReportPage(rows=rows, cursor=cursor, done=done, total=rpt.total_rows(result))

    # report-run allowance ---------------------------------------------------------------

    def fetch_run_limits(self) -> RunLimits:
        """The org's hourly report-run counters, from ``/limits``."""
        return RunLimits.from_limits(self._rest("limits", "limits/"))

    def _plan_page(self, report: ReportRef) -> RunMode:
        """Sync or async for the next page; CrmRateLimited when this hour's share is spent."""
        if self._planner is None:
            self._planner = RunPlanner(self.fetch_run_limits(), self.report_run_share)
        elif self._planner.needs_refresh():
            self._planner.refresh(self.fetch_run_limits())
        mode = self._planner.next_mode()
        if mode is None:
            raise CrmRateLimited(
                f"report-run allowance reached: {self._planner.summary()}; the run stops and "
                "resumes from its checkpoint in the next hour",
                code="REPORT_RUN_BUDGET",
                customer=self.customer,
                report=report.developer_name,
            )
        self._planner.spend(mode)
        self.counter.report_runs = (self._planner.sync_remaining, self._planner.limits.sync_max)
        return mode

    def _run_async(self, report: ReportRef, body: Mapping[str, Any]) -> rpt.ReportAnswer:
        """Run one page as an asynchronous instance: create it, poll it, read its result."""
        path = f"analytics/reports/{report.id}/instances"
        created = self._rest(
            "report_run_async",
            path,
            report=report.developer_name,
            params={"includeDetails": "true"},
            method="POST",
            json=body,
        )
        instance = str(created.get("id") or "")
        for delay in POLL_DELAYS:
            result = self._answer(
                "report_instance", f"{path}/{instance}", report=report.developer_name
            )
            status = result.attributes.status if result.attributes is not None else None
            if status == "Success":
                return result
            if status == "Error":
                raise CrmRejected(
                    "the asynchronous report run failed in Salesforce",
                    code="REPORT_INSTANCE_ERROR",
                    customer=self.customer,
                    report=report.developer_name,
                )
            self.poll_sleep(delay)
        raise CrmTransient(
            "the asynchronous report run did not finish in time; the run resumes later",
            code="REPORT_INSTANCE_TIMEOUT",
            customer=self.customer,
            report=report.developer_name,
        )

    def _rest(self, kind: str, path: str, *, report: str | None = None, **kwargs: Any) -> Any:
        """A REST call relative to `/services/data/vXX.X/`; an empty answer gives `{}`."""

        def request(sf: Any) -> Any:
            return sf.restful(path, **kwargs)

        return self.session.call(kind, request, report=report) or {}

    def _answer(
        self, kind: str, path: str, *, report: str | None = None, **kwargs: Any
    ) -> rpt.ReportAnswer:
        """A report run's answer (`_rest`, decoded into only what the pull reads)."""

        def request(sf: Any) -> rpt.ReportAnswer:
            answer: rpt.ReportAnswer = sf.restful_as(rpt.ANSWER, path, **kwargs)
            return answer

        return self.session.call(kind, request, report=report)

    # objects and activities -----------------------------------------------------------

    def describe_object_fields(self, sobject: str) -> dict[str, Mapping[str, Any]]:
        describe = self._rest("describe", f"sobjects/{sobject}/describe/")
        return {f["name"]: f for f in describe.get("fields", [])}

    def upsert_activities(
        self, sobject: str, external_id_field: str, records: Sequence[Mapping[str, Any]]
    ) -> list[UpsertResult]:
        """Upsert records in collections of up to 200, keyed by the external-id field."""
        results: list[UpsertResult] = []
        for start in range(0, len(records), COLLECTION_LIMIT):
            chunk = records[start : start + COLLECTION_LIMIT]
            body = {
                "allOrNone": False,
                "records": [{"attributes": {"type": sobject}, **r} for r in chunk],
            }
            answer = self._rest(
                "upsert",
                f"composite/sobjects/{sobject}/{external_id_field}",
                method="PATCH",
                json=body,
            )
            for record, item in zip(
                chunk, answer if isinstance(answer, list) else [], strict=False
            ):
                results.append(_upsert_result(str(record[external_id_field]), item))
        return results


def _upsert_result(external_id: str, item: Mapping[str, Any]) -> UpsertResult:
    if item.get("success"):
        return UpsertResult(
            external_id=external_id,
            success=True,
            crm_id=item.get("id"),
            created=item.get("created"),
        )
    errors = item.get("errors") or [{}]
    code = errors[0].get("statusCode") or errors[0].get("errorCode")
    return UpsertResult(
        external_id=external_id,
        success=False,
        error_code=code,
        error_message=errors[0].get("message"),
        transient=code in TRANSIENT_RECORD_CODES,
    )
