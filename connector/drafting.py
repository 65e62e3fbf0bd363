"""Draft a customer's field map from its org: fetch the folder's report metadata, then draft.

The I/O half of `connector fieldmap init` and the console's draft: it connects with the
customer's stored connection, lists the folder's reports, describes each (columns with labels
and data types, format, filters, row limit) and Task's external-id fields, and hands them to
the pure `connector.fieldmap.draft`.

Errors: `ConfigError` (unknown or empty folder, paused customer), `AuthError` (not connected),
`CrmError` subclasses.
"""

from __future__ import annotations

from connector.config import Settings
from connector.crm.base import ReportRef
from connector.crm.salesforce.adapter import SalesforceAdapter
from connector.errors import AuthError, ConfigError
from connector.fieldmap.draft import DraftColumn, DraftCrm, DraftReport, draft_field_map
from connector.runtime import connect_stored
from connector.store.models import Connection
from connector.store.tenant import TenantStore


def fetch_draft(store: TenantStore, settings: Settings, folder: str) -> tuple[str, int]:
    """The draft map's YAML for `store`'s customer over `folder`, and how many reports it read."""
    crm = connect_stored(store, settings)
    connection = store.get_connection()
    if connection is None:  # connect_stored refuses this already; kept for the type
        raise AuthError("not connected to a CRM yet", customer=store.customer_id)
    reports = crm.list_reports(folder)
    if not reports:
        raise ConfigError(
            f"report folder {folder!r} holds no report the integration user can see; add the "
            "call-list reports to it (or share it with that user)",
            customer=store.customer_id,
        )
    drafts = [draft_report(crm, report) for report in reports]
    text = draft_field_map(
        store.customer_id, draft_crm(connection), folder, drafts, external_id_fields(crm, "Task")
    )
    return text, len(drafts)


def draft_report(crm: SalesforceAdapter, report: ReportRef) -> DraftReport:
    """The metadata of one report the draft needs (one describe call)."""
    columns = tuple(
        DraftColumn(c.name, c.label, c.data_type) for c in crm.describe_report_column_info(report)
    )
    shape = crm.describe_report_shape(report)
    return DraftReport(
        report.developer_name, report.name, columns, shape.format, shape.filters, shape.row_limit
    )


def external_id_fields(crm: SalesforceAdapter, sobject: str) -> list[str]:
    """The custom external-id fields of `sobject` in the org, sorted."""
    fields = crm.describe_object_fields(sobject)
    return sorted(
        name
        for name, meta in fields.items()
        if name.endswith("__c") and (meta.get("externalId") or meta.get("idLookup"))
    )


def draft_crm(connection: Connection) -> DraftCrm:
    """The `crm:` section of a draft, from the customer's stored connection."""
    return DraftCrm(
        login_url=connection.login_url,
        auth=connection.auth,
        client_id=connection.client_id,
        username=connection.username,
        audience=connection.audience,
        ca_bundle=connection.ca_bundle,
    )
