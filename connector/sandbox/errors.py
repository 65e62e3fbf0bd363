"""Errors the sandbox answers with, in the two shapes Salesforce uses.

SandboxHttpError            root: has an HTTP status and knows its JSON body
├── ApiError                REST / Analytics: ``[{"errorCode": ..., "message": ...}]``
└── OAuthError              token endpoints: ``{"error": ..., "error_description": ...}``
"""

from __future__ import annotations

from typing import Any


class SandboxHttpError(Exception):
    """An error response; `body()` is the JSON Salesforce would send."""

    status: int

    def body(self) -> Any:
        raise NotImplementedError


class ApiError(SandboxHttpError):
    """A REST or Analytics error: a JSON array with one ``errorCode``/``message`` entry."""

    def __init__(
        self, status: int, error_code: str, message: str, fields: list[str] | None = None
    ) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, Any]]:
        entry: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            entry["fields"] = self.fields
        return [entry]


class OAuthError(SandboxHttpError):
    """An OAuth endpoint error (HTTP 400 unless told otherwise)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def invalid_session() -> ApiError:
    """The 401 every REST call gets without a valid access token."""
    return ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")
