"""The sandbox org's object model: which objects and fields exist, with their describe facts.

One table drives describe responses, SOQL name resolution (case-insensitive, canonical case
out), relationship traversal (``Account.Name``) and write validation (length, createable,
updateable, references, restricted picklists).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.sandbox.ids import KEY_PREFIXES

TEXT_TYPES = frozenset(
    {"string", "textarea", "picklist", "combobox", "email", "phone", "url", "multipicklist"}
)


@dataclass(frozen=True)
class FieldSpec:
    """One field of an sObject, with the describe properties the sandbox honours."""

    name: str
    type: str
    label: str = ""
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    external_id: bool = False
    unique: bool = False
    custom: bool = False
    defaulted: bool = False
    name_field: bool = False

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES


@dataclass(frozen=True)
class ObjectSpec:
    """One sObject type: its fields in describe order, keyed case-insensitively."""

    name: str
    label: str
    label_plural: str
    fields: tuple[FieldSpec, ...]
    createable: bool = True
    updateable: bool = True
    by_lower: dict[str, FieldSpec] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for spec in self.fields:
            self.by_lower[spec.name.lower()] = spec

    @property
    def key_prefix(self) -> str:
        return KEY_PREFIXES[self.name]

    def field(self, name: str) -> FieldSpec | None:
        """The field called `name` (any case), or None."""
        return self.by_lower.get(name.lower())

    def relationship(self, name: str) -> FieldSpec | None:
        """The reference field whose relationship name is `name` (any case), or None."""
        lowered = name.lower()
        for spec in self.fields:
            if spec.relationship_name and spec.relationship_name.lower() == lowered:
                return spec
        return None


def _readonly(name: str, type_: str, **extra: Any) -> FieldSpec:
    return FieldSpec(name, type_, createable=False, updateable=False, **extra)


def _audit_fields() -> tuple[FieldSpec, ...]:
    return (
        _readonly("IsDeleted", "boolean", label="Deleted", nillable=False),
        _readonly("CreatedDate", "datetime", label="Created Date", nillable=False),
        _readonly("LastModifiedDate", "datetime", label="Last Modified Date", nillable=False),
        _readonly("SystemModstamp", "datetime", label="System Modstamp", nillable=False),
    )


def _id() -> FieldSpec:
    return _readonly("Id", "id", label="Record ID", length=18, nillable=False)


def _owner() -> FieldSpec:
    return FieldSpec(
        "OwnerId",
        "reference",
        label="Owner ID",
        length=18,
        reference_to=("User",),
        relationship_name="Owner",
        defaulted=True,
    )


LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Trade Show", "Webinar", "Other")
LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Nurture")
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
TASK_SUBTYPES = ("Task", "Email", "ListEmail", "Call", "LinkedIn")
INDUSTRIES = ("Technology", "Manufacturing", "Finance", "Healthcare", "Retail", "Energy")

ACCOUNT = ObjectSpec(
    "Account",
    "Account",
    "Accounts",
    (
        _id(),
        FieldSpec("Name", "string", label="Account Name", length=255, nillable=False),
        FieldSpec("Type", "picklist", label="Account Type", length=255),
        FieldSpec("Industry", "picklist", label="Industry", length=255, picklist=INDUSTRIES),
        FieldSpec("BillingCountry", "string", label="Billing Country", length=80),
        FieldSpec("Website", "url", label="Website", length=255),
        FieldSpec("Phone", "phone", label="Account Phone", length=40),
        FieldSpec("NumberOfEmployees", "int", label="Employees"),
        _owner(),
        *_audit_fields(),
    ),
)

CONTACT = ObjectSpec(
    "Contact",
    "Contact",
    "Contacts",
    (
        _id(),
        FieldSpec(
            "AccountId",
            "reference",
            label="Account ID",
            length=18,
            reference_to=("Account",),
            relationship_name="Account",
        ),
        FieldSpec("LastName", "string", label="Last Name", length=80, nillable=False),
        FieldSpec("FirstName", "string", label="First Name", length=40),
        _readonly("Name", "string", label="Full Name", length=121, name_field=True),
        FieldSpec("Title", "string", label="Title", length=128),
        FieldSpec("Phone", "phone", label="Business Phone", length=40),
        FieldSpec("Email", "email", label="Email", length=80),
        FieldSpec("Birthdate", "date", label="Birthdate"),
        FieldSpec("MailingCountry", "string", label="Mailing Country", length=80),
        FieldSpec("LeadSource", "picklist", label="Lead Source", length=255, picklist=LEAD_SOURCES),
        _owner(),
        *_audit_fields(),
    ),
)

LEAD = ObjectSpec(
    "Lead",
    "Lead",
    "Leads",
    (
        _id(),
        FieldSpec("LastName", "string", label="Last Name", length=80, nillable=False),
        FieldSpec("FirstName", "string", label="First Name", length=40),
        _readonly("Name", "string", label="Full Name", length=121, name_field=True),
        FieldSpec("Company", "string", label="Company", length=255, nillable=False),
        FieldSpec("Title", "string", label="Title", length=128),
        FieldSpec("Email", "email", label="Email", length=80),
        FieldSpec("Phone", "phone", label="Phone", length=40),
        FieldSpec(
            "Status", "picklist", label="Status", length=255, picklist=LEAD_STATUSES, defaulted=True
        ),
        FieldSpec("LeadSource", "picklist", label="Lead Source", length=255, picklist=LEAD_SOURCES),
        FieldSpec("Country", "string", label="Country", length=80),
        _readonly("IsConverted", "boolean", label="Converted", nillable=False),
        _owner(),
        *_audit_fields(),
    ),
)

TASK = ObjectSpec(
    "Task",
    "Task",
    "Tasks",
    (
        _id(),
        FieldSpec(
            "WhoId",
            "reference",
            label="Name ID",
            length=18,
            reference_to=("Contact", "Lead"),
            relationship_name="Who",
        ),
        FieldSpec(
            "WhatId",
            "reference",
            label="Related To ID",
            length=18,
            reference_to=("Account",),
            relationship_name="What",
        ),
        FieldSpec("Subject", "combobox", label="Subject", length=255),
        FieldSpec("ActivityDate", "date", label="Due Date Only"),
        FieldSpec(
            "Status",
            "picklist",
            label="Status",
            length=255,
            nillable=False,
            picklist=TASK_STATUSES,
            defaulted=True,
        ),
        FieldSpec(
            "Priority",
            "picklist",
            label="Priority",
            length=40,
            nillable=False,
            picklist=("High", "Normal", "Low"),
            defaulted=True,
        ),
        _owner(),
        FieldSpec("Description", "textarea", label="Description", length=32000),
        FieldSpec(
            "Type",
            "picklist",
            label="Type",
            length=255,
            picklist=("Call", "Email", "Meeting", "Other"),
        ),
        FieldSpec(
            "TaskSubtype",
            "picklist",
            label="Task Subtype",
            length=255,
            updateable=False,
            picklist=TASK_SUBTYPES,
            restricted=True,
        ),
        FieldSpec("CallDurationInSeconds", "int", label="Call Duration"),
        FieldSpec(
            "CallType",
            "picklist",
            label="Call Type",
            length=40,
            picklist=("Internal", "Inbound", "Outbound"),
        ),
        FieldSpec("CallDisposition", "string", label="Call Result", length=255),
        FieldSpec("CallObject", "string", label="Call Object Identifier", length=255),
        _readonly(
            "AccountId",
            "reference",
            label="Account ID",
            length=18,
            reference_to=("Account",),
            relationship_name="Account",
        ),
        _readonly("IsClosed", "boolean", label="Closed", nillable=False),
        FieldSpec(
            "Connector_Activity_Id__c",
            "string",
            label="Connector Activity Id",
            length=80,
            external_id=True,
            unique=True,
            custom=True,
        ),
        *_audit_fields(),
    ),
)

USER = ObjectSpec(
    "User",
    "User",
    "Users",
    (
        _id(),
        FieldSpec("Username", "string", label="Username", length=80, nillable=False),
        FieldSpec("LastName", "string", label="Last Name", length=80, nillable=False),
        FieldSpec("FirstName", "string", label="First Name", length=40),
        _readonly("Name", "string", label="Full Name", length=121, name_field=True),
        FieldSpec("Email", "email", label="Email", length=128, nillable=False),
        FieldSpec("Alias", "string", label="Alias", length=8, nillable=False),
        FieldSpec("IsActive", "boolean", label="Active", nillable=False),
        *_audit_fields()[1:],
    ),
    createable=False,
    updateable=False,
)

ORGANIZATION = ObjectSpec(
    "Organization",
    "Organization",
    "Organizations",
    (
        _id(),
        _readonly("Name", "string", label="Name", length=80),
        _readonly("IsSandbox", "boolean", label="Is Sandbox", nillable=False),
        _readonly("OrganizationType", "picklist", label="Edition", length=40),
        _readonly("InstanceName", "string", label="Instance Name", length=5),
        _readonly("LanguageLocaleKey", "picklist", label="Language", length=40),
        *_audit_fields()[1:],
    ),
    createable=False,
    updateable=False,
)

FOLDER = ObjectSpec(
    "Folder",
    "Folder",
    "Folders",
    (
        _id(),
        _readonly("Name", "string", label="Name", length=40),
        _readonly("DeveloperName", "string", label="Folder Unique Name", length=80),
        _readonly(
            "Type",
            "picklist",
            label="Type",
            length=40,
            picklist=("Report", "Dashboard", "Document", "Email"),
        ),
        _readonly(
            "AccessType", "picklist", label="Access Type", length=40, picklist=("Hidden", "Public")
        ),
        _readonly(
            "ParentId",
            "reference",
            label="Parent Folder ID",
            length=18,
            reference_to=("Folder",),
            relationship_name="Parent",
        ),
        _readonly("NamespacePrefix", "string", label="Namespace Prefix", length=15),
        *_audit_fields()[1:],
    ),
    createable=False,
    updateable=False,
)

REPORT = ObjectSpec(
    "Report",
    "Report",
    "Reports",
    (
        _id(),
        _readonly(
            "OwnerId",
            "reference",
            label="Folder ID",
            length=18,
            reference_to=("Folder", "Organization", "User"),
            relationship_name="Owner",
        ),
        _readonly("Name", "string", label="Report Name", length=40, name_field=True),
        _readonly("DeveloperName", "string", label="Report Unique Name", length=80),
        _readonly("FolderName", "string", label="Folder Name", length=255),
        _readonly("NamespacePrefix", "string", label="Namespace Prefix", length=15),
        _readonly("Description", "textarea", label="Description", length=255),
        _readonly(
            "Format",
            "picklist",
            label="Format",
            length=40,
            picklist=("Tabular", "Summary", "Matrix", "Multiblock"),
        ),
        _readonly("LastRunDate", "datetime", label="Last Run"),
        *_audit_fields(),
    ),
    createable=False,
    updateable=False,
)

OBJECTS: dict[str, ObjectSpec] = {
    spec.name.lower(): spec
    for spec in (ACCOUNT, CONTACT, LEAD, TASK, USER, ORGANIZATION, FOLDER, REPORT)
}


def find_object(name: str) -> ObjectSpec | None:
    """The sObject called `name` (any case), or None."""
    return OBJECTS.get(name.lower())


def object_for_id(record_id: str) -> ObjectSpec | None:
    """The sObject whose key prefix starts `record_id`, or None."""
    for spec in OBJECTS.values():
        if record_id.startswith(spec.key_prefix):
            return spec
    return None
