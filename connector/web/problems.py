"""Errors as JSON problem responses (RFC 9457, `application/problem+json`).

Bad input is a 4xx with a `detail` that says what to fix; a failing store is a 503 (try
again); nothing a client sends turns into a 500. Details never carry secrets (`scrub`).
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from connector.errors import ConnectorError, PartitionViolation, StoreError, scrub

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"


class Problem(Exception):
    """Raise to answer with a problem response."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem response with the standard title for `status`."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": scrub(detail),
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def set_refusal(scope: MutableMapping[str, Any], reason: str) -> None:
    """Remember why a request is refused, for the refusal log line (`guard.RefusalLog`)."""
    scope.setdefault("state", {})["refusal"] = scrub(reason)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    set_refusal(request.scope, exc.detail)
    return problem(exc.status, exc.detail, exc.headers)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    set_refusal(request.scope, str(exc.detail))
    return problem(exc.status_code, str(exc.detail), getattr(exc, "headers", None))


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    where = "; ".join(
        f"{'.'.join(str(p) for p in error.get('loc', ()))}: {error.get('msg', 'invalid')}"
        for error in exc.errors()[:5]
    )
    set_refusal(request.scope, "the request is invalid")
    return problem(422, where or "the request is invalid")


async def _on_connector(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConnectorError)
    if isinstance(exc, PartitionViolation):
        return problem(404, "no such customer")
    if isinstance(exc, StoreError):
        log.error("store error while answering a request: %s", type(exc).__name__)
        return problem(503, "the store is unavailable; try again later")
    return problem(400, str(exc))


def install(app: FastAPI) -> None:
    """Register the problem handlers on `app`."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(ConnectorError, _on_connector)
