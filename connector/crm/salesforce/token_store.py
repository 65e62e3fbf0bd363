"""`StoredTokenSource`: access tokens for one customer, backed by the store and the vault.

Where tokens live: the access token is cached encrypted in `Connection.access_token_enc` (and
in memory). Keeping it in the store lets every process (scheduler, workers, web, CLI) share one
session instead of each logging in, and lets a refresher reuse a token another refresher just
obtained. It is encrypted like every other secret, and revocation deletes it.

Refreshing is serialized per customer: a process-wide lock per (database, customer), then a
re-read of the connection, so a token stored meanwhile by another thread or process is reused
rather than refreshed again. With refresh-token rotation the new refresh token is saved in the
same transaction as the new access token, before the access token is returned. When Salesforce
answers `invalid_grant` the refused tokens are deleted (a compare-and-set on the refresh
token), the customer is marked `reconnect_needed` and AuthError is raised; if
the refresh token changed in the store meanwhile (another process rotated it first), the
other process's access token is used instead.

Errors: `AuthError` (not connected, reconnect needed), `SecretError` (key ring), `CrmTransient`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from typing import Protocol

import requests

from connector.crm.salesforce.oauth_jwt import fetch_jwt_token
from connector.crm.salesforce.oauth_web import refresh_grant
from connector.crm.salesforce.token_endpoint import DEFAULT_TIMEOUT, TokenResponse
from connector.errors import AuthError
from connector.store.models import Connection
from connector.vault import Vault

log = logging.getLogger(__name__)

_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


class ConnectionStore(Protocol):
    """The store methods a token source needs (`store.connections.ConnectionsMixin`)."""

    customer_id: str

    def get_connection(self) -> Connection | None: ...

    def save_tokens(
        self,
        *,
        access_token_enc: str,
        refresh_token_enc: str | None = None,
        instance_url: str | None = None,
        organization_id: str | None = None,
        user_id: str | None = None,
    ) -> Connection: ...

    def mark_reconnect_needed(self, reason: str) -> None: ...

    def drop_refused_tokens(self, refused_refresh_token_enc: str | None) -> bool: ...


def refresh_lock(store: ConnectionStore) -> threading.Lock:
    """The lock that serializes token refreshes of one customer within this process."""
    engine = getattr(store, "engine", None)
    key = (str(getattr(engine, "url", "")), store.customer_id)
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def obtain_token(
    connection: Connection,
    vault: Vault,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    http: requests.Session | None = None,
    extra_hosts: Collection[str] = (),
) -> TokenResponse:
    """A fresh token for `connection`: JWT re-signs; web uses the stored refresh token.

    `extra_hosts`: the customer's hosts besides Salesforce's domains (`crm.extra_hosts`).
    """
    customer = connection.customer_id
    if connection.auth == "jwt":
        if not (connection.private_key_enc and connection.client_id and connection.username):
            raise _not_connected(customer, "its JWT private key, client id or username is missing")
        return fetch_jwt_token(
            login_url=connection.login_url,
            client_id=connection.client_id,
            username=connection.username,
            private_key_pem=vault.decrypt(
                connection.private_key_enc, name=f"the private key of customer {customer!r}"
            ),
            audience=connection.audience,
            ca_bundle=connection.ca_bundle,
            timeout=timeout,
            http=http,
            customer=customer,
            extra_hosts=extra_hosts,
        )
    if connection.auth == "web":
        if not (connection.refresh_token_enc and connection.client_id):
            raise _not_connected(customer, "it has no refresh token")
        client_secret = None
        if connection.client_secret_enc:
            client_secret = vault.decrypt(
                connection.client_secret_enc, name=f"the client secret of customer {customer!r}"
            )
        return refresh_grant(
            login_url=connection.login_url,
            client_id=connection.client_id,
            refresh_token=vault.decrypt(
                connection.refresh_token_enc, name=f"the refresh token of customer {customer!r}"
            ),
            client_secret=client_secret,
            ca_bundle=connection.ca_bundle,
            timeout=timeout,
            http=http,
            customer=customer,
            extra_hosts=extra_hosts,
        )
    raise _not_connected(customer, f"its auth kind {connection.auth!r} is unknown")


def _not_connected(customer: str, why: str) -> AuthError:
    return AuthError(
        f"cannot obtain a Salesforce token: {why}; connect the customer with "
        "`connector auth jwt` or `connector auth login`",
        code="not_connected",
        customer=customer,
    )


def save_token(store: ConnectionStore, vault: Vault, token: TokenResponse) -> None:
    """Persist `token` (and a rotated refresh token) encrypted, in one transaction."""
    store.save_tokens(
        access_token_enc=vault.encrypt(token.access_token),
        refresh_token_enc=vault.encrypt(token.refresh_token) if token.refresh_token else None,
        instance_url=token.instance_url,
        organization_id=token.organization_id,
        user_id=token.user_id,
    )


class StoredTokenSource:
    """A `TokenSource` for one customer that keeps its tokens encrypted in the store."""

    def __init__(
        self,
        store: ConnectionStore,
        vault: Vault,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        http: requests.Session | None = None,
        extra_hosts: Collection[str] = (),
    ) -> None:
        self._store = store
        self._extra_hosts = tuple(extra_hosts)
        self._vault = vault
        self._timeout = timeout
        self._http = http
        self._token: str | None = None
        self._instance_url: str | None = None

    def __repr__(self) -> str:
        return f"StoredTokenSource({self._store.customer_id!r})"

    @property
    def customer_id(self) -> str:
        return self._store.customer_id

    @property
    def instance_url(self) -> str:
        """The org's API host; obtains a token first if none was ever stored."""
        if self._instance_url is None:
            self.access_token()
        assert self._instance_url is not None
        return self._instance_url

    def access_token(self) -> str:
        """The cached token (memory, then store), or a newly obtained one."""
        if self._token is not None:
            return self._token
        with refresh_lock(self._store):
            connection = self._load()
            stored = self._stored_access_token(connection)
            if stored is not None:
                return self._remember(stored, connection.instance_url)
            return self._obtain(connection)

    def refresh(self, rejected: str) -> str:
        """A token other than `rejected`: one stored meanwhile, else a newly obtained one."""
        with refresh_lock(self._store):
            connection = self._load()
            stored = self._stored_access_token(connection)
            if stored is not None and stored != rejected:
                log.info("reusing the token another refresher stored for %s", self.customer_id)
                return self._remember(stored, connection.instance_url)
            self._token = None
            return self._obtain(connection)

    def _load(self) -> Connection:
        connection = self._store.get_connection()
        if connection is None:
            raise _not_connected(self.customer_id, "it has no CRM connection")
        return connection

    def _stored_access_token(self, connection: Connection) -> str | None:
        if not connection.access_token_enc or not connection.instance_url:
            return None
        return self._vault.decrypt(
            connection.access_token_enc, name=f"the access token of customer {self.customer_id!r}"
        )

    def _remember(self, token: str, instance_url: str | None) -> str:
        self._token = token
        self._instance_url = instance_url
        return token

    def _obtain(self, connection: Connection) -> str:
        try:
            token = obtain_token(
                connection,
                self._vault,
                timeout=self._timeout,
                http=self._http,
                extra_hosts=self._extra_hosts,
            )
        except AuthError as exc:
            if exc.code != "invalid_grant":
                raise
            return self._after_invalid_grant(connection, exc)
        save_token(self._store, self._vault, token)
        return self._remember(token.access_token, token.instance_url)

    def _after_invalid_grant(self, used: Connection, exc: AuthError) -> str:
        """Reuse another process's rotation if there was one; else mark reconnect_needed."""
        current = self._load()
        rotated = current.refresh_token_enc and current.refresh_token_enc != used.refresh_token_enc
        stored = self._stored_access_token(current) if rotated else None
        if stored is not None:
            log.info("another process rotated the refresh token of %s first", self.customer_id)
            return self._remember(stored, current.instance_url)
        reason = f"Salesforce refused the {used.auth} grant: {exc.args[0]}"
        if self._store.drop_refused_tokens(used.refresh_token_enc):
            log.info("customer %s: deleted the tokens Salesforce refused", self.customer_id)
        self._token = None
        self._store.mark_reconnect_needed(reason)
        log.warning("customer %s needs a reconnect: %s", self.customer_id, reason)
        raise AuthError(
            f"reconnect needed: {exc.args[0]}", code="invalid_grant", customer=self.customer_id
        ) from None
