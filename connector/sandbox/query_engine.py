"""Run parsed SOQL against a `SandboxOrg`: name resolution, filtering, sorting, projection.

Names are resolved case-insensitively and written back in canonical case, as Salesforce does.
Unknown objects raise INVALID_TYPE, unknown fields INVALID_FIELD, quoted values on date fields
INVALID_FIELD (Salesforce wants unquoted date literals). Parent fields (``Account.Name``,
``Who.Name``, ``Owner.Username``) follow reference fields, including polymorphic ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from connector.sandbox import soql
from connector.sandbox.errors import ApiError
from connector.sandbox.formats import rest_value
from connector.sandbox.ids import normalize_id
from connector.sandbox.org import SandboxOrg
from connector.sandbox.reports import Folder, Report
from connector.sandbox.schema import FieldSpec, ObjectSpec, find_object, object_for_id
from connector.sandbox.tables import Row


@dataclass(frozen=True)
class FieldPath:
    """A resolved field reference: relationship hops, then the final field."""

    hops: tuple[FieldSpec, ...]
    leaf: FieldSpec
    canonical: tuple[str, ...]

    @property
    def text(self) -> str:
        return ".".join(self.canonical)


@dataclass
class QueryResult:
    """The matching record ids (already sorted and limited), or just a count."""

    spec: ObjectSpec
    record_ids: list[str]
    paths: tuple[FieldPath, ...]
    count_only: bool


def invalid_type(name: str) -> ApiError:
    return ApiError(
        400,
        "INVALID_TYPE",
        f"sObject type '{name}' is not supported. If you are attempting to use a custom "
        "object, be sure to append the '__c' after the entity name.",
    )


def run(org: SandboxOrg, text: str, include_deleted: bool) -> QueryResult:
    """Parse and execute `text`; raise `ApiError` the way the REST API does."""
    try:
        query = soql.parse(text)
    except soql.SoqlSyntaxError as exc:
        raise ApiError(400, "MALFORMED_QUERY", str(exc)) from exc
    spec = find_object(query.sobject)
    if spec is None:
        raise invalid_type(query.sobject)
    paths = tuple(resolve(spec, name) for name in query.fields)
    predicate = _compile(org, spec, query.where) if query.where is not None else None
    order = [(resolve(spec, item.field), item) for item in query.order_by]
    rows = _scan(org, spec, include_deleted, predicate, order)
    ids = _apply_order(org, rows, order)
    start = query.offset or 0
    end = None if query.limit is None else start + query.limit
    return QueryResult(spec, ids[start:end], paths, query.count_only)


def resolve(spec: ObjectSpec, name: str) -> FieldPath:
    """Resolve ``Field`` or ``Rel.Field`` on `spec`; raise INVALID_FIELD when unknown."""
    parts = name.split(".")
    hops: list[FieldSpec] = []
    canonical: list[str] = []
    current = [spec]
    for part in parts[:-1]:
        hop = next((s.relationship(part) for s in current if s.relationship(part)), None)
        if hop is None:
            raise _no_such_column(name, spec)
        hops.append(hop)
        canonical.append(hop.relationship_name or part)
        current = [t for t in (find_object(n) for n in hop.reference_to) if t is not None]
    leaf = next((s.field(parts[-1]) for s in current if s.field(parts[-1])), None)
    if leaf is None:
        raise _no_such_column(name, spec)
    canonical.append(leaf.name)
    return FieldPath(tuple(hops), leaf, tuple(canonical))


def _no_such_column(name: str, spec: ObjectSpec) -> ApiError:
    return ApiError(
        400,
        "INVALID_FIELD",
        f"\nSELECT {name} FROM {spec.name}\n       ^\nERROR at Row:1:Column:8\n"
        f"No such column '{name}' on entity '{spec.name}'. If you are attempting to use a "
        "custom field, be sure to append the '__c' after the custom field name.",
    )


# -- row access ------------------------------------------------------------------------------
def rows_of(org: SandboxOrg, spec: ObjectSpec, include_deleted: bool) -> Iterator[Row]:
    """All rows of an object in id order (recycle-bin rows appended for queryAll)."""
    table = org.table(spec.name)
    if table is not None:
        yield from table.iter_rows()
        if include_deleted:
            yield from table.deleted_rows()
        return
    if spec.name == "Organization":
        yield org.organization
    elif spec.name == "Folder":
        yield from (folder_row(f) for f in sorted(org.folders.values(), key=lambda f: f.id))
    elif spec.name == "Report":
        yield from (report_row(org, r) for r in sorted(org.reports.values(), key=lambda r: r.id))


def row_by_id(org: SandboxOrg, record_id: str) -> Row | None:
    """Any record of the org by id (recycle bin included), or None."""
    spec = object_for_id(record_id)
    if spec is None:
        return None
    table = org.table(spec.name)
    if table is not None:
        return table.peek_any(record_id)
    if spec.name == "Organization":
        return org.organization if org.organization["Id"] == record_id else None
    if spec.name == "Folder":
        folder = org.folders.get(record_id)
        return folder_row(folder) if folder else None
    if spec.name == "Report":
        report = org.reports.get(record_id)
        return report_row(org, report) if report else None
    return None


def folder_row(folder: Folder) -> Row:
    return {
        "Id": folder.id,
        "Name": folder.name,
        "DeveloperName": folder.developer_name,
        "Type": folder.type,
        "AccessType": folder.access_type,
        "ParentId": None,
        "NamespacePrefix": None,
        "CreatedDate": folder.created,
        "LastModifiedDate": folder.created,
        "SystemModstamp": folder.created,
    }


def report_row(org: SandboxOrg, report: Report) -> Row:
    folder = org.folders.get(report.folder_id)
    return {
        "Id": report.id,
        "OwnerId": report.folder_id,
        "Name": report.name,
        "DeveloperName": report.developer_name,
        "FolderName": folder.name if folder else None,
        "NamespacePrefix": None,
        "Description": report.description,
        "Format": report.report_format.capitalize(),
        "LastRunDate": None,
        "IsDeleted": False,
        "CreatedDate": report.last_modified,
        "LastModifiedDate": report.last_modified,
        "SystemModstamp": report.last_modified,
    }


def value_of(org: SandboxOrg, row: Row | None, path: FieldPath) -> Any:
    """The stored value at `path` starting from `row` (None along a null reference)."""
    for hop in path.hops:
        if row is None:
            return None
        reference = row.get(hop.name)
        row = row_by_id(org, reference) if reference else None
    return None if row is None else row.get(path.leaf.name)


def project(
    org: SandboxOrg, row: Row, spec_name: str, paths: tuple[FieldPath, ...], version: str
) -> Row:
    """A REST record: attributes, selected fields in canonical case, parents nested."""
    record: Row = {"attributes": _attributes(spec_name, row["Id"], version)}
    for path in paths:
        if not path.hops:
            record[path.leaf.name] = rest_value(row.get(path.leaf.name))
            continue
        _project_parent(org, record, row, path, version)
    return record


def _attributes(sobject: str, record_id: str, version: str) -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/{version}/sobjects/{sobject}/{record_id}"}


def _project_parent(org: SandboxOrg, record: Row, row: Row, path: FieldPath, version: str) -> None:
    target: Row = record
    current: Row | None = row
    for depth, hop in enumerate(path.hops):
        name = path.canonical[depth]
        reference = current.get(hop.name) if current else None
        parent = row_by_id(org, reference) if reference else None
        if parent is None:
            target.setdefault(name, None)
            return
        nested = target.get(name)
        if nested is None:
            parent_spec = object_for_id(parent["Id"])
            sobject = parent_spec.name if parent_spec else "Name"
            nested = target[name] = {"attributes": _attributes(sobject, parent["Id"], version)}
        target, current = nested, parent
    target[path.leaf.name] = rest_value(current.get(path.leaf.name) if current else None)


# -- filtering ----------------------------------------------------------------------------
Predicate = Callable[[Row], bool]


def _compile(org: SandboxOrg, spec: ObjectSpec, condition: soql.Condition) -> Predicate:
    if isinstance(condition, soql.BoolOp):
        parts = [_compile(org, spec, operand) for operand in condition.operands]
        if condition.op == "AND":
            return lambda row: all(part(row) for part in parts)
        return lambda row: any(part(row) for part in parts)
    if isinstance(condition, soql.Not):
        inner = _compile(org, spec, condition.operand)
        return lambda row: not inner(row)
    path = resolve(spec, condition.field)
    test = _comparison(path.leaf, condition)
    if not path.hops:
        name = path.leaf.name
        return lambda row: test(row.get(name))
    return lambda row: test(value_of(org, row, path))


def _comparison(leaf: FieldSpec, condition: soql.Comparison) -> Callable[[Any], bool]:
    op = condition.op
    if op in ("IN", "NOT IN"):
        assert isinstance(condition.value, tuple)
        wanted = {_key(leaf, _literal(leaf, item)) for item in condition.value}
        if op == "IN":
            return lambda value: value is not None and _key(leaf, value) in wanted
        return lambda value: value is None or _key(leaf, value) not in wanted
    assert isinstance(condition.value, soql.Literal)
    if op == "LIKE":
        pattern = _like_regex(str(condition.value.value))
        return lambda value: value is not None and pattern.fullmatch(str(value)) is not None
    literal = _literal(leaf, condition.value)
    if literal is None:
        if op == "=":
            return lambda value: value is None
        if op == "!=":
            return lambda value: value is not None
        return lambda value: False
    wanted_key = _key(leaf, literal)
    compare = _OPERATORS[op]
    if op == "!=":
        return lambda value: value is None or compare(_key(leaf, value), wanted_key)
    return lambda value: value is not None and compare(_key(leaf, value), wanted_key)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _literal(leaf: FieldSpec, literal: soql.Literal) -> Any:
    """Check a literal against the field type and convert it to a stored-value form."""
    if literal.kind == "null":
        return None
    expected = {
        "date": "date",
        "datetime": "datetime",
        "boolean": "boolean",
        "int": "number",
        "double": "number",
    }.get(leaf.type, "string")
    kind = literal.kind
    if leaf.type == "datetime" and kind == "date":
        kind = "datetime"
        literal = soql.Literal(kind, dt.datetime.combine(literal.value, dt.time(), dt.UTC))
    if kind != expected:
        quoted = "should not" if expected != "string" else "should"
        raise ApiError(
            400,
            "INVALID_FIELD",
            f"value of filter criterion for field '{leaf.name}' must be of type {leaf.type} "
            f"and {quoted} be enclosed in quotes",
        )
    if leaf.type in ("id", "reference"):
        return normalize_id(literal.value)
    return literal.value


def _key(leaf: FieldSpec, value: Any) -> Any:
    """Comparison key: text compares case-insensitively, ids exactly."""
    if leaf.is_text and isinstance(value, str):
        return value.casefold()
    return value


def _like_regex(pattern: str) -> re.Pattern[str]:
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern) and pattern[index + 1] in "%_":
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


# -- scanning and sorting -------------------------------------------------------------------
def _scan(
    org: SandboxOrg,
    spec: ObjectSpec,
    include_deleted: bool,
    predicate: Predicate | None,
    order: list[tuple[FieldPath, soql.OrderItem]],
) -> list[Row] | list[str]:
    """Matching rows; just ids when neither filtering nor sorting needs the rows."""
    table = org.table(spec.name)
    by_id_only = all(p.leaf.name == "Id" and not p.hops and not o.descending for p, o in order)
    if table is not None and predicate is None and by_id_only and not include_deleted:
        return list(table)
    rows = rows_of(org, spec, include_deleted)
    if predicate is None:
        return list(rows)
    return [row for row in rows if predicate(row)]


def _apply_order(
    org: SandboxOrg, rows: list[Row] | list[str], order: list[tuple[FieldPath, soql.OrderItem]]
) -> list[str]:
    if rows and isinstance(rows[0], str):
        return list(rows)
    dict_rows: list[Row] = rows  # type: ignore[assignment]
    if not order:
        dict_rows = sorted(dict_rows, key=lambda row: row["Id"])
    for path, item in reversed(order):
        values = [(value_of(org, row, path), row) for row in dict_rows]
        present = [(v, r) for v, r in values if v is not None]
        missing = [r for v, r in values if v is None]
        present.sort(key=lambda pair: _key(path.leaf, pair[0]), reverse=item.descending)
        nulls_first = item.nulls_first if item.nulls_first is not None else not item.descending
        ordered = [r for _, r in present]
        dict_rows = missing + ordered if nulls_first else ordered + missing
    return [row["Id"] for row in dict_rows]
