"""Where the Salesforce HTTP session gets its access token from.

The session asks a `TokenSource` for a token before its first call and, when Salesforce answers
401 `INVALID_SESSION_ID`, asks it once to `refresh` (re-sign a JWT assertion, or use the refresh
token) and retries once. Token sources own persistence: a rotated refresh token is saved before
the new access token is handed out.
"""

from __future__ import annotations

from typing import Protocol


class TokenSource(Protocol):
    """Supplies access tokens for one customer's org."""

    @property
    def instance_url(self) -> str:
        """The org's API host (`https://…`), as returned at login."""
        ...

    def access_token(self) -> str:
        """A current access token, obtaining one first if there is none."""
        ...

    def refresh(self, rejected: str) -> str:
        """A new access token after Salesforce rejected `rejected`; raises AuthError if none."""
        ...


class StaticTokenSource:
    """A fixed token (tests and one-off scripts); refreshing it is an AuthError."""

    def __init__(self, instance_url: str, token: str) -> None:
        self._instance_url = instance_url
        self._token = token

    @property
    def instance_url(self) -> str:
        return self._instance_url

    def access_token(self) -> str:
        return self._token

    def refresh(self, rejected: str) -> str:
        from connector.errors import AuthError

        raise AuthError("the access token expired and this token source cannot refresh it")
