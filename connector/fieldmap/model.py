"""The field-map schema: one pydantic model per YAML section, strict about unknown keys.

`extra="forbid"` everywhere turns a typo into an error instead of a silently ignored key.
Validators raise ValueError("problem; fix"); the loader turns pydantic's errors into
`file:line key: problem; fix` lines, so nothing here knows about files or line numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from connector.fieldmap.fields import STORE_FIELDS, StoreField
from connector.fieldmap.problems import KeyPath
from connector.fieldmap.schedule import DURATION_PATTERN, check_cron, parse_duration
from connector.fieldmap.transforms import TRANSFORMS, get_transform
from connector.fieldmap.validators import (
    API_NAME,
    API_VERSION,
    COLUMN,
    CUSTOM_FIELD,
    CUSTOMER_ID,
    DEVELOPER_NAME,
    FOLDER,
    check_extra_host,
    check_login_url,
    check_template,
    empty_to_none,
)

Optional = Annotated[str | None, BeforeValidator(empty_to_none)]
Column = Annotated[str, Field(pattern=COLUMN)]
Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["15m", "1h30m"]}),
]
TransformName = Annotated[
    str,
    AfterValidator(lambda name: get_transform(name).name),
    WithJsonSchema({"type": "string", "enum": list(TRANSFORMS)}),
]


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        coerce_numbers_to_str=True,
        regex_engine="python-re",
        use_attribute_docstrings=True,
    )


class CrmSpec(_Section):
    """How to reach and log in to the customer's Salesforce org."""

    kind: Literal["salesforce"] = Field(
        default="salesforce", description="The CRM; only salesforce."
    )
    login_url: Annotated[str, AfterValidator(check_login_url)] = Field(
        description="Login host, e.g. https://login.salesforce.com, https://test.salesforce.com "
        "or the org's My Domain. https is required; http only for loopback hosts."
    )
    auth: Literal["jwt", "web"] = Field(
        description="jwt: server-to-server JWT bearer flow with a certificate; "
        "web: a person consents once (authorization code + PKCE)."
    )
    client_id: Optional = Field(
        default=None,
        description="Consumer key of the connected app; may instead be given to `connector auth`.",
    )
    username: Optional = Field(default=None, description="Salesforce user the JWT flow logs in as.")
    audience: Optional = Field(
        default=None, description="JWT `aud` claim; defaults to the login URL's host (jwt only)."
    )
    ca_bundle: Optional = Field(
        default=None,
        description="Extra CA certificate file (PEM) to trust, e.g. the local sandbox's.",
    )
    api_version: Annotated[str | None, BeforeValidator(empty_to_none)] = Field(
        default=None, pattern=API_VERSION, description='REST API version such as "59.0"; quote it.'
    )
    extra_hosts: tuple[Annotated[str, AfterValidator(check_extra_host)], ...] = Field(
        default=(),
        description="Exact hosts outside Salesforce's own domains (*.salesforce.com, "
        "*.force.com) where this customer's org is reached, for its login URL and the "
        "instance URL its token answers name; credentials may be sent to them. Host names "
        "only: no wildcard, scheme, port or IP address.",
    )

    @model_validator(mode="after")
    def _audience_needs_jwt(self) -> CrmSpec:
        if self.audience and self.auth != "jwt":
            raise ValueError("`audience` is only used with auth: jwt; remove it")
        return self


class SourceSpec(_Section):
    """Where prospects come from: the reports of one report folder, and nothing else."""

    report_folder: str = Field(
        pattern=FOLDER,
        description="Developer name or id (00l...) of the one report folder to read; nothing "
        "outside it is requested.",
    )
    reports: list[Annotated[str, Field(pattern=DEVELOPER_NAME)]] | None = Field(
        default=None,
        min_length=1,
        description="Optional allow-list of report developer names inside the folder; omit it "
        "to read every report in the folder.",
    )

    @field_validator("reports")
    @classmethod
    def _distinct(cls, reports: list[str] | None) -> list[str] | None:
        if reports and len(set(reports)) != len(reports):
            raise ValueError("a report is listed twice; list each report once")
        return reports


class FieldSpec(_Section):
    """How one store field is filled: a report column, a transform and its options."""

    column: Column | None = Field(
        default=None, description="Report column to read (e.g. EMAIL); not used by `constant`."
    )
    transform: TransformName = Field(
        default="trim", description="How to turn the cell into the value."
    )
    required: bool = Field(
        default=False, description="Reject the row when the value is empty after the transform."
    )
    default: Optional = Field(
        default=None,
        description="Value stored as written when the cell is empty (and, for picklist, "
        "when the value is not in `values`).",
    )
    region: Annotated[str | None, BeforeValidator(empty_to_none)] = Field(
        default=None, description="phone: ISO country (e.g. US) for numbers written without +code."
    )
    format: Optional = Field(
        default=None,
        description="date/datetime: strptime format of report labels, e.g. '%m/%d/%Y'.",
    )
    timezone: Optional = Field(
        default=None,
        description="date/datetime: IANA zone for naive values, e.g. America/New_York "
        "(default UTC).",
    )
    values: dict[str, str | None] | None = Field(
        default=None, description="picklist: CRM value -> stored value (null stores nothing)."
    )
    value: str | None = Field(default=None, description="constant: the value to store.")

    @model_validator(mode="before")
    @classmethod
    def _column_shorthand(cls, data: Any) -> Any:
        if isinstance(data, str | int | float) and not isinstance(data, bool):
            return {"column": data}
        if data is None or isinstance(data, bool | list):
            raise ValueError(
                "expected a report column name or a mapping such as {column: EMAIL, "
                "transform: email}; write the column or remove the field"
            )
        return data

    @field_validator("region")
    @classmethod
    def _known_region(cls, region: str | None) -> str | None:
        if region is None:
            return None
        if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"unknown phone region {region!r}; use an ISO country code such as US, GB, DE"
            )
        return region.upper()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str | None) -> str | None:
        if name is None:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {name!r}; use an IANA name such as America/New_York or UTC"
            ) from None
        return name

    @field_validator("format")
    @classmethod
    def _strptime_format(cls, fmt: str | None) -> str | None:
        if fmt is not None and "%" not in fmt:
            raise ValueError(f"{fmt!r} has no % directive; write e.g. '%m/%d/%Y'")
        return fmt

    @model_validator(mode="after")
    def _options_fit_transform(self) -> FieldSpec:
        transform = TRANSFORMS[self.transform]
        if transform.uses_column and self.column is None:
            raise ValueError(f"transform {self.transform!r} needs a `column`; add column: NAME")
        if not transform.uses_column and self.column is not None:
            raise ValueError(f"transform {self.transform!r} reads no column; remove `column`")
        for option in ("region", "format", "timezone", "values", "value"):
            if getattr(self, option) is not None and option not in transform.options:
                users = [t.name for t in TRANSFORMS.values() if option in t.options]
                raise ValueError(
                    f"option `{option}` is not used by transform {self.transform!r}; remove it "
                    f"or use transform {' / '.join(users)}"
                )
        for option in sorted(transform.options & {"values", "value"}):
            if getattr(self, option) is None:
                raise ValueError(f"transform {self.transform!r} needs `{option}`; add it")
        return self


class _ColumnShorthandSchema:
    """Publishes "a column name or a FieldSpec mapping" in the JSON schema."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        spec = handler(core_schema)
        column = {"type": "string", "pattern": COLUMN, "description": "Report column name."}
        return {"anyOf": [column, spec]}


class ProspectSpec(_Section):
    """Which report columns become which store fields. Unmapped columns are never requested."""

    id: Column = Field(description="Report column holding the CRM record id (e.g. CONTACT_ID).")
    fields: dict[StoreField, Annotated[FieldSpec, _ColumnShorthandSchema]] = Field(
        min_length=1,
        description="Store field -> report column, or a mapping with column, transform and "
        "options. Store fields: " + ", ".join(STORE_FIELDS) + ".",
    )


def _scalar_constants(fields: Any) -> Any:
    if isinstance(fields, Mapping):
        for name, value in fields.items():
            if isinstance(value, Mapping | list):
                raise ValueError(f"`{name}` must be a constant; write text, a number or true/false")
    return fields


class ActivitiesSpec(_Section):
    """How call and email activities are written back to the CRM."""

    object: Annotated[str, Field(pattern=API_NAME)] = Field(
        default="Task", description="SObject the activities are written as."
    )
    external_id_field: Annotated[str, Field(pattern=CUSTOM_FIELD)] = Field(
        default="Connector_Activity_Id__c",
        description="External-id custom field that makes re-sending an activity an update.",
    )
    status: str = Field(
        default="Completed", min_length=1, description="Task.Status of logged activity."
    )
    call_subject: Annotated[str, AfterValidator(check_template)] = Field(
        default="Call: {outcome}",
        description="Subject template for calls; {placeholders} name activity fields.",
    )
    email_subject: Annotated[str, AfterValidator(check_template)] = Field(
        default="Email: {subject}", description="Subject template for emails."
    )
    fields: Annotated[
        dict[Annotated[str, Field(pattern=API_NAME)], str | int | float | bool | None],
        BeforeValidator(_scalar_constants),
    ] = Field(default_factory=dict, description="Extra field API name -> constant value.")

    @model_validator(mode="after")
    def _no_managed_fields(self) -> ActivitiesSpec:
        managed = {"Subject", "Status", "WhoId", self.external_id_field}
        clash = sorted(managed & set(self.fields))
        if clash:
            raise ValueError(
                f"`fields` sets {', '.join(clash)}, which the connector writes itself; remove it "
                "(use status / call_subject / email_subject)"
            )
        return self


def _cron(expression: str | None) -> str | None:
    try:
        return check_cron(expression) if expression is not None else None
    except ValueError as exc:
        raise ValueError(f'{exc}; write e.g. "*/15 * * * *" (every 15 minutes)') from None


class ScheduleSpec(_Section):
    """When the customer is synced: every fixed interval or on a cron schedule."""

    every: Duration | None = Field(
        default=None, description="Interval such as 15m or 1h (or use cron)."
    )
    cron: Annotated[str | None, AfterValidator(_cron)] = Field(
        default=None, description='Cron expression (5 fields, UTC), e.g. "*/15 * * * *".'
    )
    jitter: Duration = Field(
        default=timedelta(0),
        json_schema_extra={"default": "0s"},
        description="Random delay up to this long, e.g. 30s, to spread load.",
    )

    @model_validator(mode="after")
    def _exactly_one_rule(self) -> ScheduleSpec:
        if self.every is not None and self.cron is not None:
            raise ValueError(
                "both `every` and `cron` are set; keep exactly one of `every` or `cron`"
            )
        if self.every is None and self.cron is None:
            raise ValueError("neither `every` nor `cron` is set; give exactly one, e.g. every: 15m")
        if self.every is not None and self.every < timedelta(minutes=1):
            raise ValueError("`every` must be at least 1m; syncing more often hammers the CRM")
        if self.every is not None and self.jitter >= self.every:
            raise ValueError("`jitter` must be shorter than `every`; shorten it")
        return self


def _default_schedule() -> ScheduleSpec:
    return ScheduleSpec(every=timedelta(minutes=15))


class FieldMap(_Section):
    """One customer's field map: CRM connection, report folder, column mapping, write-back."""

    model_config = ConfigDict(title="Connector field map")

    customer: str = Field(
        pattern=CUSTOMER_ID, description="Customer id and partition key; equals the file name."
    )
    crm: CrmSpec = Field(description="The customer's CRM org.")
    source: SourceSpec = Field(description="The report folder prospects are read from.")
    prospect: ProspectSpec = Field(description="Report columns -> store fields.")
    activities: ActivitiesSpec = Field(
        default_factory=ActivitiesSpec, description="Write-back of calls and emails."
    )
    schedule: ScheduleSpec = Field(
        default_factory=_default_schedule, description="Sync schedule (default every 15m)."
    )

    _source_path: Path | None = PrivateAttr(None)
    _lines: dict[KeyPath, int] = PrivateAttr(default_factory=dict)
    _row_mapper: Any = PrivateAttr(None)  # the compiled map (`apply.compile_map`), once made

    @property
    def source_path(self) -> Path | None:
        """The YAML file this map was loaded from, if any."""
        return self._source_path

    def line_of(self, key: str | Sequence[str | int]) -> int | None:
        """1-based line of a key such as "prospect.fields.email" (or a key tuple), if known."""
        path = tuple(key.split(".")) if isinstance(key, str) else tuple(key)
        while path and path not in self._lines:
            path = path[:-1]
        return self._lines.get(path)

    def _attach_source(self, path: Path | None, lines: Mapping[KeyPath, int]) -> None:
        self._source_path = path
        self._lines = dict(lines)
