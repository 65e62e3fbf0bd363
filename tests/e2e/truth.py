"""What the sandbox org holds, read directly from its state: the truth a pull must reach."""

from __future__ import annotations

from connector.sandbox import SandboxOrg


def folder_reports(org: SandboxOrg, folder_developer_name: str) -> list:  # type: ignore[type-arg]
    folder_ids = {f.id for f in org.folders.values() if f.developer_name == folder_developer_name}
    return sorted(
        (r for r in org.reports.values() if r.folder_id in folder_ids),
        key=lambda r: r.developer_name,
    )


def report_member_ids(org: SandboxOrg, report) -> set[str]:  # type: ignore[no-untyped-def]
    """The contacts a report currently returns (deleted contacts drop out of reports)."""
    return {contact_id for contact_id in report.members if contact_id in org.contacts}


def report_runs(org: SandboxOrg) -> list:  # type: ignore[type-arg]
    """Request-log entries that ran a report (as opposed to describing or listing it)."""
    return [
        e
        for e in org.request_log
        if "/analytics/reports/" in e.path
        and not e.path.rstrip("/").endswith(("/describe", "/instances"))
        and e.path.rstrip("/").split("/")[-1].startswith("00O")
    ]


def rejected_ids(store, report_id: str) -> set[str]:  # type: ignore[no-untyped-def]
    """CRM ids the latest pull refused for `report_id` (recorded with a reason, not dropped)."""
    runs = [r for r in store.list_runs() if r.kind == "pull"]
    if not runs:
        return set()
    return {r.crm_id for r in store.rejected_rows(runs[0].run_id) if r.report_id == report_id}


def assert_store_matches_org(store, org: SandboxOrg, folder: str = "Call_Lists") -> None:  # type: ignore[no-untyped-def]
    """Every report row of the folder is stored exactly once or recorded as rejected, and
    each call list is stamped with its member count."""
    everyone: set[str] = set()
    counts = {c.report_id: c.row_count for c in store.call_lists(active_only=True)}
    for report in folder_reports(org, folder):
        truth = report_member_ids(org, report)
        stored = store.prospect_ids_in(report.id)
        assert counts.get(report.id) == len(stored), f"count of {report.developer_name}"
        refused = rejected_ids(store, report.id)
        assert len(stored) == len(set(stored)), f"duplicate memberships in {report.developer_name}"
        assert not set(stored) & refused
        assert set(stored) | refused == truth, report.developer_name
        assert len(refused) < len(truth) / 10, "most rows should map"
        everyone |= set(stored)
    assert {p.crm_id for p in store.prospects()} == everyone
