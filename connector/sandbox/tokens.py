"""Connected apps and the OAuth state of the org: access tokens, refresh tokens, auth codes.

Pure bookkeeping, no HTTP: `oauth` decides what to issue, this module remembers it. Access
tokens look like Salesforce's, ``<15-char org id>!<random>``. Revoking a refresh token revokes
the access tokens issued from it; `expire_all_access_tokens` makes every current access token
answer 401 INVALID_SESSION_ID, as when an org's session timeout passes.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field


@dataclass
class ConnectedApp:
    """A connected app (or External Client App) registered in the org.

    `jwt_certificate_pem` is the X.509 certificate (or bare public key) whose private key
    signs JWT bearer assertions. `pre_authorized_usernames` are the users an admin approved,
    who may use the JWT bearer flow without ever consenting in a browser.
    """

    client_id: str
    jwt_certificate_pem: bytes | None = None
    client_secret: str | None = None
    redirect_uris: list[str] = field(default_factory=list)
    rotate_refresh_tokens: bool = False
    pre_authorized_usernames: list[str] = field(default_factory=list)
    name: str = "Connector"

    def __post_init__(self) -> None:
        if isinstance(self.jwt_certificate_pem, str):
            self.jwt_certificate_pem = self.jwt_certificate_pem.encode()


@dataclass
class AccessToken:
    """An issued session."""

    token: str
    client_id: str
    user_id: str
    scope: str
    issued_at: float
    expires_at: float | None
    refresh_token: str | None = None
    revoked: bool = False

    def is_valid(self, now: float) -> bool:
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


@dataclass
class RefreshGrant:
    """A refresh token and what it may mint."""

    token: str
    client_id: str
    user_id: str
    scope: str
    revoked: bool = False


@dataclass
class AuthorizationCode:
    """A single-use code from the web-server flow, bound to its redirect URI and PKCE challenge."""

    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    expires_at: float
    used: bool = False
    nonce: str | None = None


class TokenStore:
    """Thread-safe registry of apps, tokens and codes for one org."""

    def __init__(self, org_id15: str) -> None:
        self._org_id15 = org_id15
        self._lock = threading.RLock()
        self.apps: dict[str, ConnectedApp] = {}
        self.approvals: set[tuple[str, str]] = set()
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshGrant] = {}
        self._codes: dict[str, AuthorizationCode] = {}

    # -- apps ------------------------------------------------------------------------------
    def register_app(self, app: ConnectedApp) -> None:
        with self._lock:
            self.apps[app.client_id] = app

    def app(self, client_id: str | None) -> ConnectedApp | None:
        with self._lock:
            return self.apps.get(client_id or "")

    def approve(self, client_id: str, username: str) -> None:
        """Remember that `username` consented to the app (enables JWT bearer for them too)."""
        with self._lock:
            self.approvals.add((client_id, username.lower()))

    def is_approved(self, app: ConnectedApp, username: str) -> bool:
        lowered = username.lower()
        with self._lock:
            pre = {name.lower() for name in app.pre_authorized_usernames}
            return lowered in pre or (app.client_id, lowered) in self.approvals

    # -- access tokens ---------------------------------------------------------------------
    def issue_access(
        self,
        client_id: str,
        user_id: str,
        scope: str,
        ttl: float | None,
        refresh_token: str | None = None,
    ) -> AccessToken:
        now = time.time()
        token = AccessToken(
            token=f"{self._org_id15}!{secrets.token_urlsafe(72)}",
            client_id=client_id,
            user_id=user_id,
            scope=scope,
            issued_at=now,
            expires_at=None if ttl is None else now + ttl,
            refresh_token=refresh_token,
        )
        with self._lock:
            self._access[token.token] = token
        return token

    def session(self, token: str | None) -> AccessToken | None:
        """The valid session for a bearer token, or None."""
        if not token:
            return None
        with self._lock:
            found = self._access.get(token)
        return found if found is not None and found.is_valid(time.time()) else None

    def expire_all_access_tokens(self) -> None:
        with self._lock:
            for token in self._access.values():
                token.revoked = True

    # -- refresh tokens --------------------------------------------------------------------
    def issue_refresh(self, client_id: str, user_id: str, scope: str) -> RefreshGrant:
        grant = RefreshGrant(f"5Aep861{secrets.token_urlsafe(64)}", client_id, user_id, scope)
        with self._lock:
            self._refresh[grant.token] = grant
        return grant

    def refresh_grant(self, token: str | None) -> RefreshGrant | None:
        with self._lock:
            grant = self._refresh.get(token or "")
        return grant if grant is not None and not grant.revoked else None

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token; False when the token is unknown."""
        with self._lock:
            grant = self._refresh.get(token)
            if grant is not None and not grant.revoked:
                grant.revoked = True
                for issued in self._access.values():
                    if issued.refresh_token == token:
                        issued.revoked = True
                return True
            access = self._access.get(token)
            if access is not None and not access.revoked:
                access.revoked = True
                return True
        return False

    def revoke_refresh_only(self, token: str) -> None:
        """Invalidate a refresh token after rotation; its access tokens stay valid."""
        with self._lock:
            grant = self._refresh.get(token)
            if grant is not None:
                grant.revoked = True

    # -- authorization codes ---------------------------------------------------------------
    def issue_code(
        self,
        client_id: str,
        user_id: str,
        redirect_uri: str,
        scope: str,
        code_challenge: str | None,
        lifetime: float = 900,
        nonce: str | None = None,
    ) -> AuthorizationCode:
        code = AuthorizationCode(
            code=f"aPrx{secrets.token_urlsafe(48)}",
            client_id=client_id,
            user_id=user_id,
            redirect_uri=redirect_uri,
            scope=scope,
            code_challenge=code_challenge,
            expires_at=time.time() + lifetime,
            nonce=nonce,
        )
        with self._lock:
            self._codes[code.code] = code
        return code

    def code(self, value: str | None) -> AuthorizationCode | None:
        """The unused, unexpired code, or None."""
        with self._lock:
            code = self._codes.get(value or "")
        if code is None or code.used or time.time() >= code.expires_at:
            return None
        return code

    def use_code(self, code: AuthorizationCode) -> bool:
        """Mark `code` used; False when someone used it first."""
        with self._lock:
            if code.used:
                return False
            code.used = True
            return True
