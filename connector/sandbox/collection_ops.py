"""sObject Collections by record id: retrieve, update and delete (pure over the org's tables).

* retrieve ``POST /composite/sobjects/{SObject}`` with ``{"ids": [...], "fields": [...]}`` (or
  ``GET`` with ``?ids=&fields=``): the records in request order, ``null`` where an id names no
  live record of that type.
* update ``PATCH /composite/sobjects`` with ``{"allOrNone": bool, "records": [...]}``, each
  record carrying ``attributes.type`` and ``id``: SaveResults in request order.
* delete ``DELETE /composite/sobjects?ids=a,b&allOrNone=false``: DeleteResults in order.

Failed results leave the ``id`` key out, as the documented response examples show.
"""

from __future__ import annotations

from typing import Any

from connector.sandbox.errors import ApiError
from connector.sandbox.ids import is_valid_id, to_18
from connector.sandbox.org import SandboxOrg
from connector.sandbox.query_engine import project, resolve
from connector.sandbox.schema import ObjectSpec, find_object, object_for_id
from connector.sandbox.tables import Row
from connector.sandbox.writes import (
    MAX_COLLECTION_RECORDS,
    ROLLED_BACK,
    Prepared,
    RecordFault,
    commit_update,
    error,
    parse_collection,
    prepare,
)


def _too_many() -> ApiError:
    return ApiError(
        400,
        "EXCEEDED_ID_LIMIT",
        "record limit reached. cannot submit more than 200 records into this call",
    )


def _live_row(org: SandboxOrg, record_id: str) -> tuple[ObjectSpec, Row] | None:
    if not is_valid_id(record_id):
        return None
    full = to_18(record_id)
    spec = object_for_id(full)
    table = org.table(spec.name) if spec is not None else None
    row = table.peek(full) if table is not None else None
    if spec is None or row is None or row.get("IsDeleted"):
        return None
    return spec, row


# -- retrieve ---------------------------------------------------------------------------------
def retrieve(
    org: SandboxOrg, sobject: ObjectSpec, ids: Any, fields: Any, version: str
) -> list[dict[str, Any] | None]:
    """Records of `sobject` by id, in order; None for ids with no live record of that type."""
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not ids:
        raise ApiError(400, "INVALID_FIELD", "ids must be a non-empty list of record ids")
    if len(ids) > 2000:
        raise _too_many()
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise ApiError(400, "INVALID_FIELD", "fields must be a non-empty list of field names")
    for record_id in ids:
        if not is_valid_id(record_id):
            raise ApiError(400, "MALFORMED_ID", f"malformed id {record_id}")
    paths = tuple(resolve(sobject, name) for name in fields)
    results: list[dict[str, Any] | None] = []
    with org.lock:
        for record_id in ids:
            found = _live_row(org, record_id)
            if found is None or found[0] is not sobject:
                results.append(None)
            else:
                results.append(project(org, found[1], sobject.name, paths, version))
    return results


# -- update -------------------------------------------------------------------------------------
def update(org: SandboxOrg, body: Any, record_fault: RecordFault) -> list[dict[str, Any]]:
    """``PATCH /composite/sobjects``: update up to 200 records of any updateable type."""
    records, all_or_none = parse_collection(body)
    with org.lock:
        prepared: list[tuple[Prepared, ObjectSpec | None]] = []
        for record in records:
            prepared.append(_prepare_update(org, record, record_fault))
        failed = any(item.errors for item, _ in prepared)
        results: list[dict[str, Any]] = []
        for item, spec in prepared:
            if item.errors or (all_or_none and failed) or spec is None:
                results.append({"success": False, "errors": item.errors or [dict(ROLLED_BACK)]})
                continue
            assert item.existing_id is not None
            commit_update(org, spec, item.existing_id, item.values)
            results.append({"id": item.existing_id, "success": True, "errors": []})
        return results


def _prepare_update(
    org: SandboxOrg, record: dict[str, Any], record_fault: RecordFault
) -> tuple[Prepared, ObjectSpec | None]:
    attributes = record.get("attributes")
    type_name = attributes.get("type") if isinstance(attributes, dict) else None
    if not type_name:
        return Prepared(errors=[error("INVALID_TYPE", "Must specify a type in attributes")]), None
    record_id = next((v for k, v in record.items() if k.lower() == "id"), None)
    if not isinstance(record_id, str) or not record_id:
        missing = error("MISSING_ARGUMENT", "Id not specified in an update call")
        return Prepared(errors=[missing]), None
    if not is_valid_id(record_id):
        return Prepared(errors=[error("MALFORMED_ID", f"malformed id {record_id}", ["Id"])]), None
    sobject = find_object(str(type_name))
    found = _live_row(org, record_id)
    if sobject is None or found is None or found[0] is not sobject:
        problem = error("ENTITY_IS_DELETED", "entity is deleted", [])
        return Prepared(errors=[problem]), None
    fields = {k: v for k, v in record.items() if k.lower() != "id"}
    item = prepare(org, sobject, fields, found[1])
    fault = None if item.errors else record_fault()
    if fault is not None:
        item.errors.append(fault)
    return item, sobject


# -- delete -------------------------------------------------------------------------------------
def parse_ids(raw: str | None) -> list[str]:
    """The ``ids`` query parameter: 1..200 comma-separated ids; 400 otherwise."""
    ids = [part.strip() for part in (raw or "").split(",") if part.strip()]
    if not ids:
        raise ApiError(400, "MISSING_ARGUMENT", "ids parameter is required")
    if len(ids) > MAX_COLLECTION_RECORDS:
        raise _too_many()
    return ids


def delete(org: SandboxOrg, ids: list[str], all_or_none: bool) -> list[dict[str, Any]]:
    """Delete by id; with `all_or_none`, one failure deletes nothing."""
    with org.lock:
        problems: list[dict[str, Any] | None] = []
        targets: list[tuple[ObjectSpec, str] | None] = []
        seen: set[str] = set()
        for record_id in ids:
            if is_valid_id(record_id) and to_18(record_id) in seen:
                problems.append(error("DUPLICATE_VALUE", f"duplicate value found: {record_id}"))
                targets.append(None)
                continue
            if not is_valid_id(record_id):
                problems.append(error("MALFORMED_ID", f"malformed id {record_id}"))
                targets.append(None)
                continue
            found = _live_row(org, record_id)
            if found is None or not found[0].createable:
                problems.append(error("ENTITY_IS_DELETED", "entity is deleted"))
                targets.append(None)
                continue
            seen.add(str(found[1]["Id"]))
            problems.append(None)
            targets.append((found[0], str(found[1]["Id"])))
        failed = any(problem is not None for problem in problems)
        results: list[dict[str, Any]] = []
        for problem, target in zip(problems, targets, strict=True):
            if problem is not None or target is None or (all_or_none and failed):
                results.append({"success": False, "errors": [problem or dict(ROLLED_BACK)]})
                continue
            table = org.table(target[0].name)
            assert table is not None
            del table[target[1]]
            results.append({"id": target[1], "success": True, "errors": []})
        return results
