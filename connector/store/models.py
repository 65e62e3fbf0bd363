"""SQLModel tables of the store.

Every tenant table carries `customer_id` as the first column of its primary key and derives
from `TenantRow`; `TenantStore` is the only code that reads or writes them. Timestamps are
timezone-aware UTC. Person data lives only in `prospects` (the mapped fields, nothing else) and
`activities` (call and email metadata, never recordings or bodies).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

#: The person fields a field map may fill. The prospects table has exactly these columns.
PROSPECT_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "mobile_phone",
    "title",
    "company",
    "department",
    "city",
    "region",
    "country",
    "time_zone",
    "lead_source",
    "status",
    "owner",
)
#: The prospect columns that hold person data: the fields, or all of them sealed in one.
PROSPECT_STORED: tuple[str, ...] = (*PROSPECT_FIELDS, "sealed")


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


class TenantRow(SQLModel):
    """Base of every tenant table: rows belong to exactly one customer."""

    customer_id: str = Field(primary_key=True, max_length=64)


class Customer(TenantRow, table=True):
    """A customer (tenant) and its lifecycle state."""

    __tablename__ = "customers"

    status: str = Field(default="active", max_length=32)  # active | reconnect_needed | paused
    status_reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Connection(TenantRow, table=True):
    """How the connector reaches the customer's CRM. Secrets are stored encrypted only."""

    __tablename__ = "connections"

    kind: str = Field(default="salesforce", max_length=32)
    auth: str = Field(max_length=16)  # jwt | web
    login_url: str
    instance_url: str | None = None
    organization_id: str | None = Field(default=None, max_length=18)
    user_id: str | None = Field(default=None, max_length=18)
    client_id: str | None = None
    username: str | None = None
    audience: str | None = None
    ca_bundle: str | None = None
    refresh_token_enc: str | None = None
    private_key_enc: str | None = None
    client_secret_enc: str | None = None
    access_token_enc: str | None = None
    connected_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CallList(TenantRow, table=True):
    """A report in the customer's folder, seen by the connector as a call list."""

    __tablename__ = "call_lists"

    report_id: str = Field(primary_key=True, max_length=18)
    name: str
    developer_name: str
    folder_id: str = Field(max_length=18)
    active: bool = True
    row_count: int = 0
    first_seen_at: datetime = Field(default_factory=utcnow)
    last_synced_at: datetime | None = None
    retired_at: datetime | None = None


class Prospect(TenantRow, table=True):
    """A person from the CRM, holding only the fields the customer's field map names."""

    __tablename__ = "prospects"

    crm_id: str = Field(primary_key=True, max_length=18)
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile_phone: str | None = None
    title: str | None = None
    company: str | None = None
    department: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    time_zone: str | None = None
    lead_source: str | None = None
    status: str | None = None
    owner: str | None = None
    #: all of the fields above in one encrypted value (`field_crypto.seal_record`), which
    #: then stay NULL; rows written before it hold their fields one per column
    sealed: str | None = None
    row_hash: str = Field(max_length=64)
    first_seen_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    last_seen_run: str | None = Field(default=None, max_length=32)


class Membership(TenantRow, table=True):
    """A prospect's place in a call list."""

    __tablename__ = "memberships"
    __table_args__ = (Index("ix_memberships_prospect", "customer_id", "crm_id"),)

    report_id: str = Field(primary_key=True, max_length=18)
    crm_id: str = Field(primary_key=True, max_length=18)
    added_at: datetime = Field(default_factory=utcnow)
    last_seen_run: str | None = Field(default=None, max_length=32)


class MemberRemoval(TenantRow, table=True):
    """A member that left a call list, kept for a while so the change feed can report it.

    Only the CRM id, never a personal field. One row per list and id: a later removal of the
    same member replaces it, and while the member is back in the list the row is not reported.
    """

    __tablename__ = "member_removals"
    __table_args__ = (Index("ix_member_removals_order", "customer_id", "report_id", "removed_at"),)

    report_id: str = Field(primary_key=True, max_length=18)
    crm_id: str = Field(primary_key=True, max_length=18)
    removed_at: datetime = Field(default_factory=utcnow)
    reason: str = Field(max_length=16)  # left | forgotten | list_retired


class SyncRun(TenantRow, table=True):
    """One pull or push, with what it did and what it cost."""

    __tablename__ = "sync_runs"

    run_id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=16)  # pull | push
    trigger: str = Field(default="manual", max_length=32)  # manual | schedule | resync | demo
    full: bool = False
    status: str = Field(default="running", max_length=16)  # running | succeeded | failed | stopped
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    reports: int = 0
    rows_read: int = 0
    prospects_written: int = 0
    prospects_unchanged: int = 0
    prospects_removed: int = 0
    memberships_added: int = 0
    memberships_removed: int = 0
    rejected: int = 0
    suppressed: int = 0
    activities_pushed: int = 0
    activities_failed: int = 0
    api_calls: int = 0
    api_used: int | None = None
    api_limit: int | None = None
    # the org's hourly synchronous report runs left and allowed, as last read from /limits
    report_runs_remaining: int | None = None
    report_runs_max: int | None = None
    error_code: str | None = Field(default=None, max_length=64)
    error: str | None = None


class Checkpoint(TenantRow, table=True):
    """How far a run got in one report: the last id column value stored, page by page."""

    __tablename__ = "checkpoints"

    run_id: str = Field(primary_key=True, max_length=32)
    report_id: str = Field(primary_key=True, max_length=18)
    last_key: str | None = None
    rows_read: int = 0
    done: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class RejectedRow(TenantRow, table=True):
    """A report row that was not stored, with the reason (no person data beyond the CRM id)."""

    __tablename__ = "rejected_rows"

    run_id: str = Field(primary_key=True, max_length=32)
    report_id: str = Field(primary_key=True, max_length=18)
    crm_id: str = Field(primary_key=True, max_length=18)
    reason: str


class Activity(TenantRow, table=True):
    """A call or email made on the platform, queued for write-back (the outbox)."""

    __tablename__ = "activities"

    activity_id: str = Field(primary_key=True, max_length=36)  # stable UUID
    kind: str = Field(max_length=8)  # call | email
    prospect_crm_id: str = Field(max_length=18)
    occurred_at: datetime
    direction: str | None = Field(default=None, max_length=16)  # inbound | outbound
    duration_seconds: int | None = None
    outcome: str | None = None
    subject: str | None = None
    # grows with every change of content: a push marks only the version it sent
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    push_status: str = Field(default="pending", max_length=16)  # pending | pushed | failed
    crm_task_id: str | None = Field(default=None, max_length=18)
    attempts: int = 0
    error_code: str | None = Field(default=None, max_length=64)
    error_message: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    pushed_at: datetime | None = None


class AuditEvent(TenantRow, table=True):
    """Who did what, when, for one customer."""

    __tablename__ = "audit_events"

    event_id: str = Field(primary_key=True, max_length=32)
    at: datetime = Field(default_factory=utcnow)
    actor: str
    action: str = Field(max_length=64)
    detail: str | None = None


class Suppression(TenantRow, table=True):
    """A forgotten person, kept only as a keyed hash so later syncs can skip them."""

    __tablename__ = "suppressions"

    subject_hash: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)  # email | phone | crm_id
    created_at: datetime = Field(default_factory=utcnow)


class CustomerDataKey(TenantRow, table=True):
    """The customer's data key, wrapped (encrypted) by the key ring; never stored in clear.

    Personal fields are encrypted with it (`privacy.field_crypto`); deleting this row makes
    every copy of them (WAL, free pages, backups) unreadable.
    """

    __tablename__ = "customer_data_keys"

    data_key_enc: str
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Lease(TenantRow, table=True):
    """The right to sync one customer, held by one worker until it expires."""

    __tablename__ = "leases"

    holder: str | None = None
    token: int = 0  # fencing token: grows on every acquisition
    expires_at: datetime | None = None


class ResyncRequest(TenantRow, table=True):
    """A resync asked for from the CRM (button, flow, webhook), waiting for the scheduler."""

    __tablename__ = "resync_requests"
    __table_args__ = (
        Index(
            "uq_resync_requests_one_pending",
            "customer_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    request_id: str = Field(primary_key=True, max_length=64)
    source: str = Field(max_length=32)
    requested_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="pending", max_length=16)  # pending | done
    handled_at: datetime | None = None


class ScheduleState(TenantRow, table=True):
    """When a customer's next scheduled sync is due, and how it went lately."""

    __tablename__ = "schedule_state"

    next_due_at: datetime | None = None
    last_run_at: datetime | None = None
    consecutive_failures: int = 0
    column_check_at: datetime | None = None  # when the daily online column check last ran
    column_problems: int | None = None  # and how many problems it found (None: never ran)


class Erasure(SQLModel, table=True):
    """The minimal record kept of an offboarding erasure: who, when, nothing else."""

    __tablename__ = "erasures"

    customer_id: str = Field(primary_key=True, max_length=64)
    requested_at: datetime = Field(default_factory=utcnow)
    due_at: datetime
    requested_by: str
    done_at: datetime | None = None
    rows_deleted: int | None = None
    revoke_error: str | None = None  # why the CRM tokens could not be revoked, if they could not


class AccessToken(SQLModel, table=True):
    """A scoped, expiring API credential, kept only as a hash of its secret.

    Not a tenant table: a request is matched to its token before any customer is known. Each
    token names the one customer (and optionally the one call list) it may read.
    """

    __tablename__ = "access_tokens"

    token_id: str = Field(primary_key=True, max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=64, index=True)
    role: str = Field(max_length=16)  # operator | platform | call-handler
    customer_id: str = Field(max_length=64, index=True)
    call_list: str | None = Field(default=None, max_length=18)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None


class ConnectLink(TenantRow, table=True):
    """A one-time, expiring link that lets the customer's Salesforce admin connect its org.

    Only the SHA-256 of the link's token is kept, and of the OAuth `state` of the flow it
    started (with that flow's PKCE verifier, encrypted). `used_at` is set once, by the
    callback that stored the connection.
    """

    __tablename__ = "connect_links"

    link_id: str = Field(primary_key=True, max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    state_hash: str | None = Field(default=None, max_length=64, unique=True)
    verifier_enc: str | None = None
    login_url: str
    client_id: str
    ca_bundle: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str
    expires_at: datetime
    started_at: datetime | None = None
    used_at: datetime | None = None


TENANT_TABLES: tuple[type[TenantRow], ...] = (
    Customer,
    Connection,
    CallList,
    Prospect,
    Membership,
    MemberRemoval,
    SyncRun,
    Checkpoint,
    RejectedRow,
    Activity,
    AuditEvent,
    Suppression,
    Lease,
    ResyncRequest,
    ScheduleState,
    ConnectLink,
    CustomerDataKey,
)
