"""The online field-map check: the folder's reports, their columns and shapes, the Task field.

`check_online` asks the CRM (describe calls only, no report run) and returns every finding in
order, for `connector fieldmap check` to print as text or JSON and for the scheduler's daily
column check to store. Findings carry report names, field-map keys and column names, never
row data. Raises what the adapter raises (`CrmError`, `AuthError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from connector.fieldmap.check import check_against_report, check_report_shape

if TYPE_CHECKING:
    from connector.crm.base import ReportRef
    from connector.fieldmap.model import FieldMap


@dataclass(frozen=True)
class Finding:
    """One line of the check: a report that is fine, or a problem with where and how to fix."""

    outcome: Literal["ok", "problem"]
    key: str
    location: str
    text: str
    report: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "key": self.key,
            "location": self.location,
            "report": self.report,
            "message": self.text,
        }


@dataclass(frozen=True)
class OnlineCheck:
    """Every finding of one online check, in the order it was made."""

    findings: tuple[Finding, ...]

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome == "problem"]


def located(fm: FieldMap, key: str) -> str:
    """`file:line` of a key such as `source.reports[1]` (`file` alone when the line is unknown)."""
    path = tuple(
        int(part[1:-1]) if part.startswith("[") else part
        for part in re.findall(r"\[\d+\]|[^.\[\]]+", key)
    )
    line = fm.line_of(path)
    return f"{fm.source_path}:{line}" if line else str(fm.source_path)


def missing_reports(fm: FieldMap, folder_reports: list[str]) -> list[tuple[str, str]]:
    """(key, problem) for each `source.reports` entry the folder does not hold."""
    problems = []
    for index, name in enumerate(fm.source.reports or []):
        if name not in folder_reports:
            known = ", ".join(folder_reports) or "none"
            problems.append(
                (
                    f"source.reports[{index}]",
                    f"no report {name!r} in folder {fm.source.report_folder!r}; "
                    f"use one of: {known}",
                )
            )
    return problems


def check_reports(fm: FieldMap, crm: Any, reports: list[ReportRef]) -> list[Finding]:
    """Each report's column and shape problems, or one ok finding for a report that has none."""
    findings: list[Finding] = []
    for report in reports:
        name = report.developer_name
        problems = check_against_report(fm, name, crm.describe_report_columns(report))
        shape = crm.describe_report_shape(report)
        problems += check_report_shape(name, shape.format, shape.filters, shape.row_limit)
        for problem in problems:
            text = f"report {name!r}: {problem.message}; {problem.fix}"
            findings.append(Finding("problem", problem.key, located(fm, problem.key), text, name))
        if not problems:
            key = "source.report_folder"
            text = f"report {name}: every mapped column present"
            findings.append(Finding("ok", key, located(fm, key), text, name))
    return findings


def check_external_id(fm: FieldMap, crm: Any) -> Finding:
    """Whether the activity object's external-id field is one in the org."""
    key = "activities.external_id_field"
    fields = crm.describe_object_fields(fm.activities.object)
    external = fields.get(fm.activities.external_id_field)
    field = f"{fm.activities.object}.{fm.activities.external_id_field}"
    if external is None or not (external.get("externalId") or external.get("idLookup")):
        text = (
            f"{field} is not an external-id field in the org; create a unique External ID "
            "text field on the object, or fix the name"
        )
        return Finding("problem", key, located(fm, key), text)
    return Finding("ok", key, located(fm, key), f"{field} is an external id")


def check_online(fm: FieldMap, crm: Any) -> OnlineCheck:
    """Every finding of the online check of `fm` against the org behind `crm`."""
    reports = crm.list_reports(fm.source.report_folder)
    findings = [
        Finding("problem", key, located(fm, key), text)
        for key, text in missing_reports(fm, [r.developer_name for r in reports])
    ]
    if fm.source.reports:
        wanted = set(fm.source.reports)
        reports = [r for r in reports if r.developer_name in wanted]
    findings += check_reports(fm, crm, reports)
    findings.append(check_external_id(fm, crm))
    return OnlineCheck(tuple(findings))
