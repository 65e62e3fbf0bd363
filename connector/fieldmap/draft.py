"""Draft a customer's field map from the metadata of its folder's reports (pure).

`connector fieldmap init` (and the console) fetch the folder's reports and their columns,
then call `draft_field_map`, which returns commented YAML:

- the record-id column (`prospect.id`): an id-typed column every report has;
- store fields suggested from each column's data type and name (email, phone, names,
  company, title, address parts, lead source, status, owner), only from columns every report
  has, since a mapped column must be in each report;
- every report of the folder listed in `source.reports` (each is one call list);
- the write-back field and the schedule.

Suggestions are marked `# CHOOSE:`, to confirm or change. What the draft cannot decide (no
id column, nothing to map, a report that cannot be paged, no external-id field on Task) is
marked `# TODO:`; the loader refuses a map that still holds a TODO (see `todo.py`), so an
unfinished draft never syncs. Nothing here does I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from connector.fieldmap.check import check_report_shape

DEFAULT_EXTERNAL_ID = "Connector_Activity_Id__c"
_ID_TYPES = ("id", "reference")
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})


@dataclass(frozen=True)
class DraftColumn:
    """A report column as the Analytics API describes it: API name, label and data type."""

    name: str
    label: str
    data_type: str


@dataclass(frozen=True)
class DraftReport:
    """A report of the folder: names, columns and what decides whether it can be paged."""

    developer_name: str
    name: str
    columns: tuple[DraftColumn, ...]
    format: str = "tabular"
    filters: int = 0
    row_limit: int | None = None


@dataclass(frozen=True)
class DraftCrm:
    """How the customer is connected (from its stored connection): the map's `crm:` section."""

    login_url: str
    auth: str
    client_id: str | None = None
    username: str | None = None
    audience: str | None = None
    ca_bundle: str | None = None


@dataclass(frozen=True)
class Suggestion:
    """A store field filled from a column: the YAML value and a note for the engineer."""

    field: str
    column: DraftColumn
    value: str
    choose: str = ""


def _words(column: DraftColumn) -> str:
    """The column's label and API name as lower-case words, for matching by name."""
    text = f"{column.label} {column.name}".lower()
    return " " + " ".join(re.split(r"[^a-z0-9]+", text)) + " "


def _is_text(column: DraftColumn) -> bool:
    return column.data_type.lower() not in (*_ID_TYPES, "date", "datetime", "boolean")


@dataclass(frozen=True)
class Rule:
    """A store field and the columns that may fill it: a column of one of `types`, or (unless
    `phrase_required`) a text column whose label or name holds one of `phrases`."""

    field: str
    phrases: tuple[str, ...]
    template: str = "%s"
    types: tuple[str, ...] = ()
    phrase_required: bool = False
    note: str = ""

    def matches(self, column: DraftColumn) -> bool:
        typed = column.data_type.lower() in self.types
        named = any(f" {phrase} " in _words(column) for phrase in self.phrases)
        if self.phrase_required:
            return named and (typed or _is_text(column))
        return typed or (named and _is_text(column))


_PHONE = "{column: %s, transform: phone, region: US}"
_REGION = "CHOOSE the country of numbers written without +code"
#: Tried in order; each column fills one field, each field takes the first column matching.
RULES: tuple[Rule, ...] = (
    Rule("email", ("email", "e mail"), "{column: %s, transform: email}", ("email",)),
    Rule("mobile_phone", ("mobile", "cell"), _PHONE, ("phone",), True, _REGION),
    Rule("phone", ("phone",), _PHONE, ("phone",), note=_REGION),
    Rule("first_name", ("first name", "firstname", "given name")),
    Rule(
        "last_name",
        ("last name", "lastname", "surname", "family name"),
        "{column: %s, required: true}",
        note="CHOOSE whether a row without it is rejected",
    ),
    Rule("full_name", ("full name", "contact name", "lead name")),
    Rule("title", ("title", "job title")),
    Rule("company", ("account name", "company", "company name")),
    Rule("department", ("department",)),
    Rule("city", ("city",)),
    Rule("region", ("state", "province", "region")),
    Rule("country", ("country",)),
    Rule("time_zone", ("time zone", "timezone")),
    Rule("lead_source", ("lead source",), note="CHOOSE: transform picklist maps its values"),
    Rule("status", ("lead status", "status")),
    Rule("owner", ("owner", "owner name")),
)


def scalar(value: str) -> str:
    """`value` as a YAML scalar: plain when that reads back as the same string, else quoted."""
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)


def shared_columns(reports: Sequence[DraftReport]) -> list[DraftColumn]:
    """The columns every report has (by API name), in the first report's order."""
    if not reports:
        return []
    names = set.intersection(*({c.name for c in report.columns} for report in reports))
    return [column for column in reports[0].columns if column.name in names]


def pick_id_column(columns: Sequence[DraftColumn]) -> DraftColumn | None:
    """The record-id column: the first id-typed one, else the first reference-typed one."""
    for data_type in _ID_TYPES:
        for column in columns:
            if column.data_type.lower() == data_type:
                return column
    return None


def suggest_fields(columns: Sequence[DraftColumn], id_column: str | None) -> list[Suggestion]:
    """Store fields suggested for `columns` by `RULES` (the id column is never one of them)."""
    free = [column for column in columns if column.name != id_column]
    taken: set[str] = set()
    suggestions = []
    for rule in RULES:
        for column in free:
            if column.name not in taken and rule.matches(column):
                taken.add(column.name)
                value = rule.template % scalar(column.name)
                suggestions.append(Suggestion(rule.field, column, value, rule.note))
                break
    return suggestions


def _describe(column: DraftColumn) -> str:
    return f"{column.label} ({column.data_type})"


def _header(customer: str, folder: str) -> list[str]:
    return [
        "# yaml-language-server: $schema=./fieldmap.schema.json",
        f"# Draft field map of customer {customer}, written by `connector fieldmap init` from the",
        f"# reports of folder {folder} and their columns' data types and names. Reference for",
        "# every key: field_maps/example.yaml.",
        "# Notes marked CHOOSE are suggestions: confirm or change them. Notes marked TODO are",
        "# choices the draft could not make: the map is refused (by `connector fieldmap check`,",
        "# sync and every other command) until each of those comments is resolved and deleted.",
        f"customer: {customer}",
        "",
    ]


def _crm(crm: DraftCrm) -> list[str]:
    lines = ["# From the customer's stored connection (`connector auth status`).", "crm:"]
    lines += ["  kind: salesforce", f"  login_url: {scalar(crm.login_url)}"]
    lines.append(f"  auth: {crm.auth}")
    for key in ("client_id", "username", "audience", "ca_bundle"):
        value = getattr(crm, key)
        if value and (key != "audience" or crm.auth == "jwt"):
            lines.append(f"  {key}: {scalar(value)}")
    return [*lines, ""]


def _source(folder: str, reports: Sequence[DraftReport]) -> list[str]:
    lines = [
        "# Each report of the folder is one call list. CHOOSE: delete a report to leave it out,",
        "# or delete `reports` to read every report of the folder, also those added later.",
        "source:",
        f"  report_folder: {scalar(folder)}",
        "  reports:",
    ]
    for report in reports:
        problems = check_report_shape(
            report.developer_name, report.format, report.filters, report.row_limit
        )
        note = f"{report.name}, {len(report.columns)} columns"
        lines.append(f"    - {scalar(report.developer_name)}  # {note}")
        for problem in problems:
            lines.append(f"    # TODO: {report.developer_name} {problem.message}; {problem.fix}")
            lines.append("    #       (or delete the report from this list)")
    return [*lines, ""]


def _prospect(reports: Sequence[DraftReport]) -> list[str]:
    columns = shared_columns(reports)
    id_column = pick_id_column(columns)
    lines = [
        "# Report columns -> store fields. Only these columns are ever requested.",
        "prospect:",
    ]
    if id_column is None:
        lines.append("  # TODO: no id-typed column is in every report; add the record-id column")
        lines.append("  #       (e.g. Contact ID) to each report and name it here")
        lines.append("  id: TODO")
    else:
        lines.append(f"  # CHOOSE: the record id of each row ({_describe(id_column)}).")
        lines.append(f"  id: {scalar(id_column.name)}")
    suggestions = suggest_fields(columns, id_column.name if id_column else None)
    lines.append("  fields:")
    if not suggestions:
        lines.append("    # TODO: no column looks like a name, email or phone; map at least one")
        lines.append("    last_name: TODO")
    for suggestion in suggestions:
        note = _describe(suggestion.column)
        if suggestion.choose:
            note += f"; {suggestion.choose}"
        lines.append(f"    {suggestion.field}: {suggestion.value}  # {note}")
    used = {s.column.name for s in suggestions} | ({id_column.name} if id_column else set())
    return [*lines, *_unmapped(reports, columns, used), ""]


def _unmapped(
    reports: Sequence[DraftReport], shared: Sequence[DraftColumn], used: set[str]
) -> list[str]:
    lines = []
    left = [column for column in shared if column.name not in used]
    if left:
        lines.append("  # Not mapped, so never requested nor stored (CHOOSE: map one if needed):")
        lines += [f"  #   {column.name}: {_describe(column)}" for column in left]
    names = {column.name for column in shared}
    partial: dict[str, list[str]] = {}
    for report in reports:
        for column in report.columns:
            if column.name not in names:
                partial.setdefault(column.name, []).append(report.developer_name)
    if partial:
        lines.append("  # Only in some reports (a mapped column must be in every report):")
        lines += [f"  #   {name}: in {', '.join(where)}" for name, where in partial.items()]
    return lines


def _activities(external_ids: Sequence[str]) -> list[str]:
    lines = ["# Write-back of calls and emails as Tasks, upserted on an external-id field."]
    lines.append("activities:")
    lines.append("  object: Task")
    if DEFAULT_EXTERNAL_ID in external_ids or not external_ids:
        if not external_ids:
            lines.append("  # TODO: Task has no external-id field; create a unique External ID")
            lines.append(f"  #       text field {DEFAULT_EXTERNAL_ID} on Task (or name yours)")
        lines.append(f"  external_id_field: {DEFAULT_EXTERNAL_ID}")
    else:
        lines.append(f"  # CHOOSE: Task's external-id fields: {', '.join(external_ids)}")
        lines.append(f"  external_id_field: {scalar(external_ids[0])}")
    lines.append("  status: Completed")
    return [*lines, ""]


def draft_field_map(
    customer: str,
    crm: DraftCrm,
    folder: str,
    reports: Sequence[DraftReport],
    task_external_ids: Sequence[str] = (DEFAULT_EXTERNAL_ID,),
) -> str:
    """The commented draft map (YAML text) for `customer` over the `reports` of `folder`.

    `task_external_ids` are the custom external-id fields Task has in the org (the
    write-back key). The result loads as a field map once its TODO comments are resolved.
    """
    lines = [
        *_header(customer, folder),
        *_crm(crm),
        *_source(folder, reports),
        *_prospect(reports),
        *_activities(task_external_ids),
        '# When the customer is synced. CHOOSE: every 15m, or cron: "*/15 * * * *".',
        "schedule:",
        "  every: 15m",
    ]
    return "\n".join(lines) + "\n"
