"""Record writes: single create/update/upsert/delete and sObject Collections.

Collections: create (POST), upsert by external id (PATCH …/{SObject}/{field}), retrieve
(POST or GET …/{SObject}), update (PATCH) and delete (DELETE ?ids=).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from connector.sandbox import collection_ops, writes
from connector.sandbox.errors import ApiError, not_found
from connector.sandbox.ids import is_valid_id, to_18
from connector.sandbox.oauth import org_of
from connector.sandbox.org import SandboxOrg
from connector.sandbox.query_engine import project, resolve
from connector.sandbox.schema import ObjectSpec, find_object
from connector.sandbox.tokens import AccessToken

router = APIRouter()
V = "/services/data/{version}"


async def _json(request: Request) -> Any:
    body = await request.body()
    try:
        return json.loads(body or b"null")
    except ValueError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body is not valid JSON.") from exc


def _writable(org: SandboxOrg, name: str) -> ObjectSpec:
    spec = find_object(name)
    if spec is None or org.table(spec.name) is None or not spec.createable:
        raise ApiError(404, "NOT_FOUND", f"The requested resource does not exist: {name}")
    return spec


def _owner(request: Request) -> str:
    session: AccessToken = request.state.session
    return session.user_id


def _record_fault(request: Request) -> writes.RecordFault:
    org = org_of(request)
    method, path = request.method, request.url.path

    def fault() -> dict[str, Any] | None:
        rule = org.fault_injector.record_fault(method, path)
        return None if rule is None else writes.error(rule.error_code, rule.message)

    return fault


def _errors_response(errors: list[dict[str, Any]], status: int = 400) -> Response:
    body = [
        {"message": e["message"], "errorCode": e["statusCode"], "fields": e["fields"]}
        for e in errors
    ]
    return JSONResponse(body, status_code=status)


@router.patch(V + "/composite/sobjects/{sobject}/{field}")
async def upsert_collection(request: Request, version: str, sobject: str, field: str) -> Response:
    org = org_of(request)
    spec = _writable(org, sobject)
    ext = writes.external_id_field(spec, field)
    body = await _json(request)
    results = writes.upsert_collection(
        org, spec, ext, body, _owner(request), _record_fault(request)
    )
    return JSONResponse(results)


@router.post(V + "/composite/sobjects")
async def create_collection(request: Request, version: str) -> Response:
    org = org_of(request)
    body = await _json(request)
    results = writes.create_collection(org, body, _owner(request), _record_fault(request))
    return JSONResponse(results)


@router.patch(V + "/composite/sobjects")
async def update_collection(request: Request, version: str) -> Response:
    org = org_of(request)
    body = await _json(request)
    return JSONResponse(collection_ops.update(org, body, _record_fault(request)))


@router.delete(V + "/composite/sobjects")
async def delete_collection(request: Request, version: str) -> Response:
    ids = collection_ops.parse_ids(request.query_params.get("ids"))
    all_or_none = request.query_params.get("allOrNone", "false").lower() == "true"
    return JSONResponse(collection_ops.delete(org_of(request), ids, all_or_none))


@router.post(V + "/composite/sobjects/{sobject}")
async def retrieve_collection(request: Request, version: str, sobject: str) -> Response:
    spec = _readable(sobject)
    body = await _json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object.")
    records = collection_ops.retrieve(
        org_of(request), spec, body.get("ids"), body.get("fields"), version
    )
    return JSONResponse(records)


@router.get(V + "/composite/sobjects/{sobject}")
async def retrieve_collection_get(request: Request, version: str, sobject: str) -> Response:
    spec = _readable(sobject)
    params = request.query_params
    ids = [p.strip() for p in params.get("ids", "").split(",") if p.strip()]
    fields = [p.strip() for p in params.get("fields", "").split(",") if p.strip()]
    return JSONResponse(collection_ops.retrieve(org_of(request), spec, ids, fields, version))


def _readable(name: str) -> ObjectSpec:
    spec = find_object(name)
    if spec is None:
        raise ApiError(404, "NOT_FOUND", f"The requested resource does not exist: {name}")
    return spec


@router.post(V + "/sobjects/{sobject}")
async def create(request: Request, version: str, sobject: str) -> Response:
    org = org_of(request)
    spec = _writable(org, sobject)
    body = await _json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object.")
    with org.lock:
        prepared = writes.prepare(org, spec, body, None)
        if prepared.errors:
            return _errors_response(prepared.errors)
        new_id = writes.commit_create(org, spec, prepared.values, _owner(request))
    return JSONResponse({"id": new_id, "success": True, "errors": []}, status_code=201)


@router.patch(V + "/sobjects/{sobject}/{field}/{value:path}")
async def upsert(request: Request, version: str, sobject: str, field: str, value: str) -> Response:
    org = org_of(request)
    spec = _writable(org, sobject)
    ext = writes.external_id_field(spec, field)
    body = await _json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object.")
    with org.lock:
        existing_id = writes.find_by_external_id(org, spec, ext.name).get(value.casefold())
        table = org.table(spec.name)
        assert table is not None
        existing = table.peek(existing_id) if existing_id else None
        fields = {k: v for k, v in body.items() if k.lower() != ext.name.lower()}
        if existing is None:
            fields[ext.name] = value
        prepared = writes.prepare(org, spec, fields, existing)
        if prepared.errors:
            return _errors_response(prepared.errors)
        if existing_id:
            writes.commit_update(org, spec, existing_id, prepared.values)
            result = {"id": existing_id, "success": True, "errors": [], "created": False}
            return JSONResponse(result, status_code=200)
        new_id = writes.commit_create(org, spec, prepared.values, _owner(request))
    result = {"id": new_id, "success": True, "errors": [], "created": True}
    return JSONResponse(result, status_code=201)


@router.get(V + "/sobjects/{sobject}/{field}/{value:path}")
async def get_by_external_id(
    request: Request, version: str, sobject: str, field: str, value: str
) -> Response:
    org = org_of(request)
    spec = _writable(org, sobject)
    ext = writes.external_id_field(spec, field)
    record_id = writes.find_by_external_id(org, spec, ext.name).get(value.casefold())
    table = org.table(spec.name)
    row = table.peek(record_id) if table is not None and record_id else None
    if row is None:
        raise not_found()
    paths = tuple(resolve(spec, f.name) for f in spec.fields)
    return JSONResponse(project(org, row, spec.name, paths, version))


@router.patch(V + "/sobjects/{sobject}/{record_id}")
async def update(request: Request, version: str, sobject: str, record_id: str) -> Response:
    org = org_of(request)
    spec = _writable(org, sobject)
    table = org.table(spec.name)
    body = await _json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object.")
    with org.lock:
        record_id = to_18(record_id) if is_valid_id(record_id) else record_id
        existing = table.peek(record_id) if table is not None else None
        if existing is None:
            raise not_found()
        prepared = writes.prepare(org, spec, body, existing)
        if prepared.errors:
            return _errors_response(prepared.errors)
        writes.commit_update(org, spec, record_id, prepared.values)
    return Response(status_code=204)


@router.delete(V + "/sobjects/{sobject}/{record_id}")
async def delete(request: Request, version: str, sobject: str, record_id: str) -> Response:
    org = org_of(request)
    spec = _writable(org, sobject)
    table = org.table(spec.name)
    record_id = to_18(record_id) if is_valid_id(record_id) else record_id
    with org.lock:
        if table is None or record_id not in table:
            raise not_found()
        del table[record_id]
    return Response(status_code=204)
