"""Rich rendering of progress: a bar per report for a pull, one counting bar for the other
long commands (push, import, export, secrets rotate, erase, retention), and summary tables.

Bars are drawn only on a terminal and never with `--no-progress`, so output that is piped or
captured stays the command's own lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

if TYPE_CHECKING:
    from connector.crm.base import ReportRef
    from connector.store.models import SyncRun


class RichPullObserver:
    """Draws one bar per report, advancing as pages are saved."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def report_started(self, report: ReportRef, index: int, count: int) -> None:
        label = f"[{index + 1}/{count}] {report.developer_name}"
        self.tasks[report.id] = self.progress.add_task(label, total=None)

    def page_saved(self, report: ReportRef, rows_read: int, total: int | None) -> None:
        task = self.tasks[report.id]
        if total is not None:
            self.progress.update(task, total=max(total, rows_read))
        self.progress.update(task, completed=rows_read)

    def report_finished(self, report: ReportRef, members: int) -> None:
        task = self.tasks[report.id]
        self.progress.update(task, total=members or 1, completed=members or 1)


@contextmanager
def pull_progress(console: Console, enabled: bool = True) -> Iterator[RichPullObserver]:
    """A live progress display for the duration of a pull (quiet when not a terminal)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not drawn(console, enabled),
        transient=False,
    )
    with progress:
        yield RichPullObserver(progress)


def drawn(console: Console, enabled: bool) -> bool:
    """Whether to draw bars: asked for, and the console is a terminal."""
    return enabled and console.is_terminal


class Counting:
    """One counting bar: `advance(n)` as items are done, `set_total(n)` once it is known."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def advance(self, n: int = 1) -> None:
        self._progress.update(self._task, advance=n)

    def set_total(self, total: int) -> None:
        self._progress.update(self._task, total=total)


@contextmanager
def count_progress(
    console: Console, description: str, total: int | None = None, enabled: bool = True
) -> Iterator[Counting]:
    """One bar counting `total` items (None: not known yet)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not drawn(console, enabled),
        transient=False,
    )
    with progress:
        yield Counting(progress, progress.add_task(description, total=total))


def summary_table(title: str, rows: list[tuple[str, object]]) -> Table:
    """A two-column what/value table."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    for what, value in rows:
        table.add_row(what, str(value))
    return table


def run_table(run: SyncRun, title: str) -> Table:
    """A two-column summary of one pull."""
    rows: list[tuple[str, object]] = [
        ("run", run.run_id[:12]),
        ("status", run.status),
        ("reports (call lists)", run.reports),
        ("rows read", run.rows_read),
        ("prospects written", run.prospects_written),
        ("rows already current (not rewritten)", run.prospects_unchanged),
        ("prospects removed", run.prospects_removed),
        ("memberships added / removed", f"{run.memberships_added} / {run.memberships_removed}"),
        ("rows rejected", run.rejected),
        ("rows suppressed (forgotten)", run.suppressed),
        ("API calls", run.api_calls),
    ]
    if run.api_used is not None:
        rows.append(("org API usage", f"{run.api_used}/{run.api_limit}"))
    if run.error:
        rows.append(("error", run.error))
    return summary_table(title, rows)
