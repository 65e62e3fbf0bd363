"""Pull: the reports of the customer's folder -> mapped prospects, call lists, memberships.

plan (list the folder, check columns) -> fetch (pages of only the mapped columns) -> map
(pure field map) -> store (page + checkpoint in one transaction) -> record the run.

A run that dies is resumed by the next pull: it continues the same run from each report's
last checkpoint. Pages reconcile their id range, so rows that left a report leave its call
list, and at the end prospects no call list holds any more are removed.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from connector.crm.base import CrmAdapter, ReportRef
from connector.errors import (
    ConfigError,
    ConnectorError,
    CrmRateLimited,
    CrmRejected,
    CrmTransient,
    FieldMapError,
    LeaseLost,
)
from connector.fieldmap import FieldMap, Reject, check_against_report, requested_columns
from connector.fieldmap.apply import compile_map
from connector.logs import bind
from connector.privacy.keys import RowSealer, pull_keys
from connector.redaction import scrub_contacts
from connector.store.models import Checkpoint, SyncRun, utcnow
from connector.store.page_sql import RUN_STAMPS
from connector.store.pull_rows import PageOutcome, as_listing
from connector.store.tenant import TenantStore
from connector.sync.frozen_heap import frozen_heap
from connector.sync.screen import Screen, Suppressions

log = logging.getLogger(__name__)


class PullObserver(Protocol):
    """Receives progress while a pull runs (the CLI draws progress bars from it)."""

    def report_started(self, report: ReportRef, index: int, count: int) -> None: ...

    def page_saved(self, report: ReportRef, rows_read: int, total: int | None) -> None: ...

    def report_finished(self, report: ReportRef, members: int) -> None: ...


class _SilentObserver:
    def report_started(self, report: ReportRef, index: int, count: int) -> None:
        pass

    def page_saved(self, report: ReportRef, rows_read: int, total: int | None) -> None:
        pass

    def report_finished(self, report: ReportRef, members: int) -> None:
        pass


@dataclass
class PullOptions:
    trigger: str = "manual"
    full: bool = False  # ignore an unfinished run's checkpoints and read everything anew
    suppressed: Suppressions | None = None  # forgotten people, checked again in each page
    observer: PullObserver = field(default_factory=_SilentObserver)
    fence: int | None = None  # the lease's fencing token: writes commit only while it holds
    # how mapped rows become stored values; None: encrypted with the customer's data key
    seal: RowSealer | None = None
    # the change-detection hash's key; None: derived from the customer's data key
    hash_key: bytes | None = None


def plan_reports(fm: FieldMap, crm: CrmAdapter) -> list[ReportRef]:
    """The folder's reports this customer syncs (all of them, or those source.reports names)."""
    reports = crm.list_reports(fm.source.report_folder)
    if fm.source.reports:
        wanted = set(fm.source.reports)
        missing = wanted - {r.developer_name for r in reports}
        if missing:
            raise ConfigError(
                f"report(s) {', '.join(sorted(missing))} named in source.reports are not in "
                f"folder {fm.source.report_folder!r}",
                customer=fm.customer,
            )
        reports = [r for r in reports if r.developer_name in wanted]
    return reports


def check_report(fm: FieldMap, crm: CrmAdapter, report: ReportRef) -> FieldMapError | None:
    """Why `report` cannot be read with the field map (its columns checked), or None."""
    problems = check_against_report(fm, report.developer_name, crm.describe_report_columns(report))
    if not problems:
        return None
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return FieldMapError(
        f"report {report.developer_name!r}: {first.message}; {first.fix}{more}",
        path=str(fm.source_path) if fm.source_path else None,
        key=first.key,
        customer=fm.customer,
    )


def pull(
    fm: FieldMap, store: TenantStore, crm: CrmAdapter, options: PullOptions | None = None
) -> SyncRun:
    """Pull the customer's configured reports into the store; returns the finished run.

    A run that crashed or was stopped (API limits, budget, passing CRM trouble) is resumed
    from its checkpoints; one that failed for a lasting reason is not, so the next run reads
    everything again. A report the CRM refuses fails alone: the other reports are still read,
    and the run then ends as failed. Raises the `ConnectorError` that ended the run after
    recording it on the run (any other exception is recorded too, then re-raised).
    """
    with frozen_heap():  # a page's objects would otherwise make the collector rescan the process
        return _pull(fm, store, crm, options or PullOptions())


def _pull(fm: FieldMap, store: TenantStore, crm: CrmAdapter, options: PullOptions) -> SyncRun:
    store.ensure_customer()
    if options.seal is None:
        seal, hash_key = pull_keys(store)
        options = replace(options, seal=seal, hash_key=options.hash_key or hash_key)
    # only a resumed run has checkpoints to continue from
    run, resumed = store.resume_or_start_run(
        "pull", RESUMABLE, trigger=options.trigger, full=options.full
    )
    if resumed:
        log.info("customer %s: resuming run %s (%s)", fm.customer, run.run_id, run.status)
        run.status, run.error, run.error_code, run.finished_at = "running", None, None, None
    bind(customer=fm.customer, run_id=run.run_id)
    base_calls = run.api_calls

    def stamp_run() -> dict[str, Any]:
        """The run's status and API usage as of now (saved with each page)."""
        _stamp(run, crm, base_calls)
        return {name: getattr(run, name) for name in RUN_STAMPS}

    complete = False  # every report read: prospects no call list holds any more can go

    def checkpoint_run() -> None:
        _stamp(run, crm, base_calls)
        store.save_run(run, options.fence, remove_orphans=complete)

    try:
        _pull_reports(fm, store, crm, run, options, stamp_run, resumed=resumed)
        complete = True
    except Exception as exc:
        run.status = "stopped" if isinstance(exc, CrmRateLimited | CrmTransient) else "failed"
        run.error_code = getattr(exc, "code", None) or type(exc).__name__
        run.error = (
            scrub_contacts(str(exc)) if isinstance(exc, ConnectorError) else type(exc).__name__
        )
        raise
    else:
        run.status = "succeeded"
    finally:
        run.finished_at = utcnow()
        if not isinstance(sys.exc_info()[1], LeaseLost):
            checkpoint_run()
    return run


#: Runs that ended this way are continued from their checkpoints by the next pull.
RESUMABLE = frozenset({"running", "stopped"})


def _stamp(run: SyncRun, crm: CrmAdapter, base_calls: int) -> None:
    run.api_calls = base_calls + crm.counter.calls
    if crm.counter.usage is not None:
        run.api_used, run.api_limit = crm.counter.usage.used, crm.counter.usage.limit
    if crm.counter.report_runs is not None:
        run.report_runs_remaining, run.report_runs_max = crm.counter.report_runs


def _pull_reports(
    fm: FieldMap,
    store: TenantStore,
    crm: CrmAdapter,
    run: SyncRun,
    options: PullOptions,
    stamp_run: Callable[[], dict[str, Any]],
    *,
    resumed: bool,
) -> None:
    reports = plan_reports(fm, crm)
    retired = store.sync_call_lists((as_listing(r) for r in reports), options.fence)
    if retired:
        log.info("customer %s: retired call lists %s", fm.customer, ", ".join(retired))
    run.reports = len(reports)
    unreadable = _check_reports(fm, crm, reports)
    if unreadable and len(unreadable) == len(reports):
        raise next(iter(unreadable.values()))  # the map fits no report: nothing to read
    checkpoints = store.checkpoints(run.run_id) if resumed else {}
    failures: list[tuple[ReportRef, FieldMapError | CrmRejected]] = []
    for index, report in enumerate(reports):
        options.observer.report_started(report, index, len(reports))
        checkpoint = checkpoints.get(report.id)
        if checkpoint is not None and checkpoint.done:
            continue
        try:
            if report.id in unreadable:
                raise unreadable[report.id]
            _pull_report(fm, store, crm, run, options, report, checkpoint, stamp_run)
        except (CrmRejected, FieldMapError) as exc:  # this report's own trouble: read the others
            code = _failure_code(exc)
            log.warning(
                "customer %s: report %s failed: %s", fm.customer, report.developer_name, code
            )
            failures.append((report, exc))
    if len(failures) == 1:
        raise failures[0][1]
    if failures:
        names = ", ".join(f"{r.developer_name} [{_failure_code(e)}]" for r, e in failures)
        message = (
            f"{len(failures)} of {len(reports)} reports failed: {names}; the others were synced"
        )
        if all(isinstance(e, FieldMapError) for _, e in failures):
            raise FieldMapError(message, customer=fm.customer)
        raise CrmRejected(message, code=_failure_code(failures[0][1]), customer=fm.customer)


def _check_reports(
    fm: FieldMap, crm: CrmAdapter, reports: list[ReportRef]
) -> dict[str, FieldMapError | CrmRejected]:
    """The reports the field map cannot read (by report id), each with its error."""
    unreadable: dict[str, FieldMapError | CrmRejected] = {}
    for report in reports:
        problem: FieldMapError | CrmRejected | None
        try:
            problem = check_report(fm, crm, report)
        except CrmRejected as exc:  # e.g. the report's describe is refused
            problem = exc
        if problem is not None:
            unreadable[report.id] = problem
    return unreadable


def _failure_code(exc: FieldMapError | CrmRejected) -> str:
    if isinstance(exc, CrmRejected):
        return exc.code or "CRM_REJECTED"
    return "FIELD_MAP"


def _pull_report(
    fm: FieldMap,
    store: TenantStore,
    crm: CrmAdapter,
    run: SyncRun,
    options: PullOptions,
    report: ReportRef,
    checkpoint: Checkpoint | None,
    stamp_run: Callable[[], dict[str, Any]],
) -> None:
    after = checkpoint.last_key if checkpoint else None
    rows_read = checkpoint.rows_read if checkpoint else 0
    screen = None if options.suppressed is None else Screen(options.suppressed)
    members = None
    for page in crm.iter_report_pages(report, fm.prospect.id, requested_columns(fm), after):
        rows_read += len(page.rows)
        outcome = _save_page(
            fm, store, run, report, page, after, rows_read, options, stamp_run(), screen
        )
        options.observer.page_saved(report, rows_read, page.total)
        after, members = page.cursor, outcome.members
    if members is None:  # no last page came (the list's count is stamped with that page)
        members = store.finish_call_list(report.id, options.fence)
    options.observer.report_finished(report, members)


def _refuse_plaintext(crm_id: str, fields: Mapping[str, str | None]) -> Mapping[str, str | None]:
    raise ConfigError("no field cipher for the pull: personal fields are never stored in clear")


def _save_page(
    fm: FieldMap,
    store: TenantStore,
    run: SyncRun,
    report: ReportRef,
    page: Any,
    after: str | None,
    rows_read: int,
    options: PullOptions,
    run_values: Mapping[str, Any],
    screen: Screen | None,
) -> PageOutcome:
    mapped: list[tuple[str, Mapping[str, str | None]]] = []
    rejects: list[tuple[str, str]] = []
    suppressed = 0
    first_row = rows_read - len(page.rows) + 1
    mapper = compile_map(fm)  # once a page: the field map's attribute costs a row's mapping
    for number, row in enumerate(page.rows, start=first_row):
        result = mapper(row)
        if isinstance(result, Reject):
            # a row without an id is recorded by its place in the report, one record each
            rejects.append((result.crm_id or f"(no id) #{number}", "; ".join(result.reasons)))
            continue
        if screen is not None and screen.skips(result.crm_id, result.fields):
            suppressed += 1
            continue
        mapped.append((result.crm_id, result.fields))
    seal = options.seal or _refuse_plaintext
    # the one place mapped rows become stored values: encrypted with the customer's data key
    stored = [(crm_id, seal(crm_id, fields)) for crm_id, fields in mapped]
    outcome = store.save_page(
        fence=options.fence,
        run_id=run.run_id,
        report_id=report.id,
        after=after,
        cursor=page.cursor,
        done=page.done,
        rows_read=rows_read,
        page_rows=len(page.rows),
        mapped=stored,
        rejects=rejects,
        suppressed=suppressed,
        run_values=run_values,
        screen=None if screen is None else lambda hashes: screen.recheck(mapped, hashes),
        hash_key=options.hash_key,
    )
    outcome.count_into(run)  # the stored run gained the same counts with the page
    return outcome
