"""Creating, updating and upserting records, with Salesforce's per-record validation.

Validation a write gets (per record, as ``{"statusCode", "message", "fields"}``):

* unknown field -> INVALID_FIELD; read-only field -> INVALID_FIELD_FOR_INSERT_UPDATE;
* text longer than the field -> STRING_TOO_LONG; bad restricted picklist value ->
  INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST; missing required field -> REQUIRED_FIELD_MISSING;
* a reference to a record that does not exist or has the wrong type (e.g. ``WhoId`` that is not
  a Contact or Lead) -> INVALID_CROSS_REFERENCE_KEY "invalid cross reference id".

``TaskSubtype`` is not updateable. The sandbox rejects an update that *changes* it
(INVALID_FIELD_FOR_INSERT_UPDATE) and ignores one that repeats the stored value, so a client
may send the same full record on every upsert. A value of the wrong JSON type fails the whole
request with 400 JSON_PARSER_ERROR, as Salesforce's deserializer does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox.errors import ApiError
from connector.sandbox.formats import parse_datetime
from connector.sandbox.ids import is_valid_id, to_18
from connector.sandbox.org import SandboxOrg
from connector.sandbox.query_engine import row_by_id
from connector.sandbox.schema import FieldSpec, ObjectSpec, find_object, object_for_id
from connector.sandbox.tables import Row

MAX_COLLECTION_RECORDS = 200
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    "fields": [],
}
RecordFault = Callable[[], dict[str, Any] | None]


@dataclass
class Prepared:
    """A record that passed (or failed) validation, ready to commit."""

    values: Row = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    existing_id: str | None = None


def error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"statusCode": code, "message": message, "fields": fields or []}


# -- value conversion --------------------------------------------------------------------------
def convert(spec: FieldSpec, value: Any) -> Any:
    """JSON value -> stored value; 400 JSON_PARSER_ERROR when the JSON type is wrong."""
    if value is None:
        return None
    try:
        if spec.type == "boolean":
            if not isinstance(value, bool):
                raise TypeError
            return value
        if spec.type in ("int", "double"):
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise TypeError
            number = float(value)
            return int(number) if spec.type == "int" else number
        if spec.type == "date":
            return dt.date.fromisoformat(str(value)[:10])
        if spec.type == "datetime":
            return parse_datetime(str(value))
        if isinstance(value, dict | list):
            raise TypeError
        return str(value) if not isinstance(value, bool) else str(value).lower()
    except (TypeError, ValueError) as exc:
        raise ApiError(
            400,
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of {spec.type} from value {value!r} "
            f"for field {spec.name}",
        ) from exc


# -- validation --------------------------------------------------------------------------------
def prepare(
    org: SandboxOrg, sobject: ObjectSpec, fields: dict[str, Any], existing: Row | None
) -> Prepared:
    """Validate a field map for create (`existing` None) or update; collect per-record errors."""
    prepared = Prepared(existing_id=existing["Id"] if existing else None)
    for name, raw in fields.items():
        if name == "attributes":
            continue
        spec = sobject.field(name)
        if spec is None:
            prepared.errors.append(
                error(
                    "INVALID_FIELD",
                    f"No such column '{name}' on sobject of type {sobject.name}",
                    [name],
                )
            )
            continue
        value = convert(spec, raw)
        problem = _field_problem(org, spec, value, existing)
        if problem is not None:
            prepared.errors.append(problem)
        elif existing is None or spec.updateable:
            prepared.values[spec.name] = value
    if existing is None:
        prepared.errors.extend(_missing_required(sobject, prepared.values))
    return prepared


def _field_problem(
    org: SandboxOrg, spec: FieldSpec, value: Any, existing: Row | None
) -> dict[str, Any] | None:
    if existing is None and not spec.createable:
        return _read_only(spec)
    if existing is not None and not spec.updateable:
        if spec.createable and existing.get(spec.name) == value:
            return None  # repeating the stored value of a create-only field is harmless
        return _read_only(spec)
    if value is None:
        if not spec.nillable and not spec.defaulted:
            return error("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{spec.name}]",
                         [spec.name])  # fmt: skip
        return None
    if spec.is_text and spec.length and len(value) > spec.length:
        return error(
            "STRING_TOO_LONG",
            f"{spec.label}: data value too large: {value[:40]}... (max length={spec.length})",
            [spec.name],
        )
    if spec.restricted and value not in spec.picklist:
        return error(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{spec.label}: bad value for restricted picklist field: {value}",
            [spec.name],
        )
    if spec.type == "reference" and not _reference_ok(org, spec, value):
        return error(
            "INVALID_CROSS_REFERENCE_KEY",
            f"{spec.label}: id value of incorrect type: {value}"
            if is_valid_id(value) and _target_type(value) not in spec.reference_to
            else "invalid cross reference id",
            [spec.name],
        )
    return None


def _read_only(spec: FieldSpec) -> dict[str, Any]:
    return error(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        f"Unable to create/update fields: {spec.name}. Please check the security settings of "
        "this field and verify that it is read/write for your profile or permission set.",
        [spec.name],
    )


def _target_type(value: str) -> str | None:
    target = object_for_id(value)
    return target.name if target else None


def _reference_ok(org: SandboxOrg, spec: FieldSpec, value: str) -> bool:
    if not is_valid_id(value) or _target_type(value) not in spec.reference_to:
        return False
    row = row_by_id(org, to_18(value))
    return row is not None and not row.get("IsDeleted")


def _missing_required(sobject: ObjectSpec, values: Row) -> list[dict[str, Any]]:
    missing = [
        spec.name
        for spec in sobject.fields
        if spec.createable and not spec.nillable and not spec.defaulted
        and values.get(spec.name) in (None, "")
    ]  # fmt: skip
    if not missing:
        return []
    return [error("REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}", missing)]


# -- committing --------------------------------------------------------------------------------
def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _derive(org: SandboxOrg, sobject: ObjectSpec, row: Row) -> None:
    if sobject.name in ("Contact", "Lead", "User"):
        row["Name"] = " ".join(p for p in (row.get("FirstName"), row.get("LastName")) if p)
    if sobject.name == "Task":
        row["IsClosed"] = row.get("Status") == "Completed"
        who = org.contacts.peek(row["WhoId"]) if row.get("WhoId") else None
        what = row.get("WhatId")
        row["AccountId"] = (who or {}).get("AccountId") or (
            what if what and str(what).startswith("001") else None
        )


def _defaults(org: SandboxOrg, sobject: ObjectSpec, owner_id: str) -> Row:
    defaults: Row = {"IsDeleted": False}
    if sobject.field("OwnerId"):
        defaults["OwnerId"] = owner_id
    if sobject.name == "Task":
        defaults.update(Status="Not Started", Priority="Normal")
    if sobject.name == "Lead":
        defaults.update(Status="Open - Not Contacted", IsConverted=False)
    return defaults


def commit_create(org: SandboxOrg, sobject: ObjectSpec, values: Row, owner_id: str) -> str:
    """Insert a validated record; return its new id."""
    table = org.table(sobject.name)
    assert table is not None
    now = _now()
    row = {**_defaults(org, sobject, owner_id), **values}
    row.update(CreatedDate=now, LastModifiedDate=now, SystemModstamp=now)
    _derive(org, sobject, row)
    return table.insert(row)


def commit_update(org: SandboxOrg, sobject: ObjectSpec, record_id: str, values: Row) -> None:
    """Apply validated values to an existing record."""
    table = org.table(sobject.name)
    assert table is not None
    row = table[record_id]
    row.update(values)
    now = _now()
    row.update(LastModifiedDate=now, SystemModstamp=now)
    _derive(org, sobject, row)


def find_by_external_id(org: SandboxOrg, sobject: ObjectSpec, field_name: str) -> dict[str, str]:
    """Index of live records by external id value (case-insensitive, like the platform)."""
    table = org.table(sobject.name)
    assert table is not None
    return {
        str(row[field_name]).casefold(): row["Id"]
        for row in table.iter_rows()
        if row.get(field_name) not in (None, "")
    }


def external_id_field(sobject: ObjectSpec, name: str) -> FieldSpec:
    """The external-id field `name` of `sobject`; 404 NOT_FOUND like the REST API otherwise."""
    spec = sobject.field(name)
    if spec is None or not (spec.external_id or spec.name == "Id"):
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {name}",
        )
    return spec


# -- collections --------------------------------------------------------------------------------
def parse_collection(body: Any) -> tuple[list[Any], bool]:
    """Validate a collections body; return (records, allOrNone)."""
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must have a records array.")
    records = body["records"]
    if len(records) > MAX_COLLECTION_RECORDS:
        raise ApiError(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        )
    if any(not isinstance(record, dict) for record in records):
        raise ApiError(400, "JSON_PARSER_ERROR", "Each record must be a JSON object.")
    return records, bool(body.get("allOrNone", False))


def _type_error(record: dict[str, Any], expected: str | None) -> dict[str, Any] | None:
    attributes = record.get("attributes")
    record_type = attributes.get("type") if isinstance(attributes, dict) else None
    if not record_type:
        return error("INVALID_TYPE", "Must specify a type in attributes for a record")
    if expected is not None and str(record_type).lower() != expected.lower():
        return error("INVALID_TYPE", f"Record type {record_type} does not match {expected}")
    return None


def upsert_collection(
    org: SandboxOrg,
    sobject: ObjectSpec,
    ext_field: FieldSpec,
    body: Any,
    owner_id: str,
    record_fault: RecordFault,
) -> list[dict[str, Any]]:
    """``PATCH /composite/sobjects/{SObject}/{ExternalIdField}``: results in input order."""
    records, all_or_none = parse_collection(body)
    with org.lock:
        index = find_by_external_id(org, sobject, ext_field.name)
        keys = [_external_key(record, ext_field) for record in records]
        counts: dict[str, int] = {}
        for key in keys:
            if key:
                counts[key] = counts.get(key, 0) + 1
        prepared: list[Prepared] = []
        for record, key in zip(records, keys, strict=True):
            item = _prepare_upsert(org, sobject, ext_field, record, key, counts, index)
            if not item.errors:
                fault = record_fault()
                if fault is not None:
                    item.errors.append(fault)
            prepared.append(item)
        return _commit_all(org, sobject, prepared, all_or_none, owner_id, upsert=True)


def _external_key(record: dict[str, Any], ext_field: FieldSpec) -> str | None:
    value = next((v for k, v in record.items() if k.lower() == ext_field.name.lower()), None)
    return None if value in (None, "") else str(value).casefold()


def _prepare_upsert(
    org: SandboxOrg,
    sobject: ObjectSpec,
    ext_field: FieldSpec,
    record: dict[str, Any],
    key: str | None,
    counts: dict[str, int],
    index: dict[str, str],
) -> Prepared:
    problem = _type_error(record, sobject.name)
    if problem is None and any(k.lower() == "id" for k in record):
        problem = error("INVALID_FIELD", "Id is not allowed when upserting by external id", ["Id"])
    if problem is None and key is None:
        problem = error(
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{ext_field.name}]",
            [ext_field.name],
        )
    if problem is None and key is not None and counts[key] > 1:
        value = record.get(ext_field.name, key)
        problem = error("DUPLICATE_VALUE", f"Duplicate external id specified: {value}",
                        [ext_field.name])  # fmt: skip
    if problem is not None:
        return Prepared(errors=[problem])
    existing_id = index.get(key or "")
    table = org.table(sobject.name)
    existing = table.peek(existing_id) if table is not None and existing_id else None
    return prepare(org, sobject, record, existing)


def create_collection(
    org: SandboxOrg, body: Any, owner_id: str, record_fault: RecordFault
) -> list[dict[str, Any]]:
    """``POST /composite/sobjects``: create up to 200 records of any createable type."""
    records, all_or_none = parse_collection(body)
    with org.lock:
        prepared: list[Prepared] = []
        sobjects: list[ObjectSpec | None] = []
        for record in records:
            problem = _type_error(record, None)
            sobject = find_object(str(record.get("attributes", {}).get("type", ""))) or None
            if problem is None and (sobject is None or org.table(sobject.name) is None):
                problem = error("INVALID_TYPE", "sObject type is not supported for create")
            if problem is None and any(k.lower() == "id" for k in record):
                problem = error("INVALID_FIELD", "Id not allowed when creating records", ["Id"])
            if problem is not None or sobject is None:
                item = Prepared(errors=[problem] if problem else [])
            else:
                item = prepare(org, sobject, record, None)
                fault = None if item.errors else record_fault()
                if fault is not None:
                    item.errors.append(fault)
            prepared.append(item)
            sobjects.append(sobject)
        return _commit_all(org, sobjects, prepared, all_or_none, owner_id, upsert=False)


def _commit_all(
    org: SandboxOrg,
    sobject: ObjectSpec | list[ObjectSpec | None],
    prepared: list[Prepared],
    all_or_none: bool,
    owner_id: str,
    upsert: bool,
) -> list[dict[str, Any]]:
    failed = any(item.errors for item in prepared)
    results: list[dict[str, Any]] = []
    for position, item in enumerate(prepared):
        spec = sobject[position] if isinstance(sobject, list) else sobject
        result: dict[str, Any]
        if item.errors or (all_or_none and failed) or spec is None:
            result = {"success": False, "errors": item.errors or [dict(ROLLED_BACK)]}
            if upsert:
                result["created"] = False
        elif item.existing_id is not None:
            commit_update(org, spec, item.existing_id, item.values)
            result = {"id": item.existing_id, "success": True, "errors": [], "created": False}
        else:
            new_id = commit_create(org, spec, item.values, owner_id)
            result = {"id": new_id, "success": True, "errors": []}
            if upsert:
                result["created"] = True
        results.append(result)
    return results
