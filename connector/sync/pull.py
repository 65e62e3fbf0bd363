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
from dataclasses import dataclass, field
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
from connector.fieldmap import FieldMap, Reject, apply_map, check_against_report, requested_columns
from connector.redaction import scrub_contacts
from connector.store.models import Checkpoint, SyncRun, utcnow
from connector.store.pull_rows import as_listing
from connector.store.tenant import TenantStore

log = logging.getLogger(__name__)

#: Decides whether a mapped row belongs to a forgotten person: (crm id, fields) -> skip?
SuppressionCheck = Callable[[str, Mapping[str, Any]], bool]


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
    suppressed: SuppressionCheck | None = None
    observer: PullObserver = field(default_factory=_SilentObserver)
    fence: int | None = None  # the lease's fencing token: writes commit only while it holds


def plan_reports(fm: FieldMap, crm: CrmAdapter) -> list[ReportRef]:
    """The folder's reports this customer syncs, each checked against the field map."""
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
    for report in reports:
        problems = check_against_report(
            fm, report.developer_name, crm.describe_report_columns(report)
        )
        if problems:
            first = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise FieldMapError(
                f"report {report.developer_name!r}: {first.message}; {first.fix}{more}",
                path=str(fm.source_path) if fm.source_path else None,
                key=first.key,
                customer=fm.customer,
            )
    return reports


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
    options = options or PullOptions()
    store.ensure_customer()
    if options.full:
        store.abandon_unfinished_runs("pull")
    run = None if options.full else store.unfinished_run("pull", RESUMABLE)
    if run is not None:
        log.info("customer %s: resuming run %s (%s)", fm.customer, run.run_id, run.status)
        run.status, run.error, run.error_code, run.finished_at = "running", None, None, None
    else:
        run = store.start_run("pull", trigger=options.trigger, full=options.full)
    base_calls = run.api_calls

    def checkpoint_run() -> None:
        _stamp(run, crm, base_calls)
        store.save_run(run, options.fence)

    try:
        _pull_reports(fm, store, crm, run, options, checkpoint_run)
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


def _pull_reports(
    fm: FieldMap,
    store: TenantStore,
    crm: CrmAdapter,
    run: SyncRun,
    options: PullOptions,
    checkpoint_run: Callable[[], None],
) -> None:
    reports = plan_reports(fm, crm)
    store.upsert_call_lists((as_listing(r) for r in reports), options.fence)
    retired = store.retire_call_lists({r.id for r in reports}, options.fence)
    if retired:
        log.info("customer %s: retired call lists %s", fm.customer, ", ".join(retired))
    run.reports = len(reports)
    checkpoints = store.checkpoints(run.run_id)
    failures: list[CrmRejected] = []
    for index, report in enumerate(reports):
        options.observer.report_started(report, index, len(reports))
        checkpoint = checkpoints.get(report.id)
        if checkpoint is not None and checkpoint.done:
            continue
        try:
            _pull_report(fm, store, crm, run, options, report, checkpoint, checkpoint_run)
        except CrmRejected as exc:  # this report's own trouble: read the others first
            log.warning(
                "customer %s: report %s failed: %s", fm.customer, report.developer_name, exc.code
            )
            failures.append(exc)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        names = ", ".join(f"{f.report} [{f.code}]" for f in failures)
        raise CrmRejected(
            f"{len(failures)} of {len(reports)} reports failed: {names}; the others were synced",
            code=failures[0].code,
            customer=fm.customer,
        )
    run.prospects_removed += store.remove_orphan_prospects(options.fence)


def _pull_report(
    fm: FieldMap,
    store: TenantStore,
    crm: CrmAdapter,
    run: SyncRun,
    options: PullOptions,
    report: ReportRef,
    checkpoint: Checkpoint | None,
    checkpoint_run: Callable[[], None],
) -> None:
    after = checkpoint.last_key if checkpoint else None
    rows_read = checkpoint.rows_read if checkpoint else 0
    for page in crm.iter_report_pages(report, fm.prospect.id, requested_columns(fm), after):
        rows_read += len(page.rows)
        _save_page(fm, store, run, report, page, after, rows_read, options)
        checkpoint_run()
        options.observer.page_saved(report, rows_read, page.total)
        after = page.cursor
    options.observer.report_finished(report, store.finish_call_list(report.id, options.fence))


def _save_page(
    fm: FieldMap,
    store: TenantStore,
    run: SyncRun,
    report: ReportRef,
    page: Any,
    after: str | None,
    rows_read: int,
    options: PullOptions,
) -> None:
    mapped: list[tuple[str, Mapping[str, str | None]]] = []
    rejects: list[tuple[str, str]] = []
    for row in page.rows:
        result = apply_map(fm, row)
        if isinstance(result, Reject):
            rejects.append((result.crm_id or "(no id)", "; ".join(result.reasons)))
            continue
        if options.suppressed is not None and options.suppressed(result.crm_id, result.fields):
            run.suppressed += 1
            continue
        mapped.append((result.crm_id, result.fields))
    outcome = store.save_page(
        fence=options.fence,
        run_id=run.run_id,
        report_id=report.id,
        after=after,
        cursor=page.cursor,
        done=page.done,
        rows_read=rows_read,
        mapped=mapped,
        rejects=rejects,
    )
    run.rows_read += len(page.rows)
    run.prospects_written += outcome.written
    run.prospects_unchanged += outcome.unchanged
    run.memberships_added += outcome.members_added
    run.memberships_removed += outcome.members_removed
    run.rejected += outcome.rejected
