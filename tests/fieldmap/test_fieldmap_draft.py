"""Drafting a field map from report metadata (pure), and open TODO choices refusing a map."""

from __future__ import annotations

import pytest

from connector.fieldmap import InvalidFieldMapError, parse_field_map_text
from connector.fieldmap.draft import (
    DraftColumn,
    DraftCrm,
    DraftReport,
    draft_field_map,
    pick_id_column,
    scalar,
    suggest_fields,
)

CRM = DraftCrm(login_url="https://acme.my.salesforce.com", auth="web", client_id="3MVG9-app")
ID = DraftColumn("LEAD_ID", "Lead ID", "id")
OWNER_ID = DraftColumn("OWNER_ID", "Owner ID", "reference")
EMAIL = DraftColumn("EMAIL", "Email", "email")
WORK = DraftColumn("WORK_PHONE", "Phone", "phone")
MOBILE = DraftColumn("MOBILE", "Mobile Phone", "phone")
FULL = DraftColumn("LEAD_NAME", "Full Name", "string")
COMPANY = DraftColumn("COMPANY", "Company / Account", "string")
STATE = DraftColumn("STATE", "State/Province", "string")
STATUS = DraftColumn("STATUS", "Lead Status", "picklist")
OWNER = DraftColumn("OWNER", "Lead Owner", "string")
CREATED = DraftColumn("CREATED", "Created Date", "datetime")
ALL = (ID, OWNER_ID, EMAIL, WORK, MOBILE, FULL, COMPANY, STATE, STATUS, OWNER, CREATED)


def report(name: str, *columns: DraftColumn, **shape: object) -> DraftReport:
    return DraftReport(name, name.replace("_", " "), columns, **shape)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ((OWNER_ID, ID), "LEAD_ID"),  # an id column wins over a reference
        ((EMAIL, OWNER_ID), "OWNER_ID"),
        ((EMAIL, FULL), None),
    ],
)
def test_the_id_column_is_the_first_id_typed_one(
    columns: tuple[DraftColumn, ...], expected: str | None
) -> None:
    found = pick_id_column(columns)
    assert (found.name if found else None) == expected


def test_fields_are_suggested_by_type_and_name_each_column_once() -> None:
    fields = {s.field: (s.column.name, s.value) for s in suggest_fields(ALL, "LEAD_ID")}

    assert fields == {
        "email": ("EMAIL", "{column: EMAIL, transform: email}"),
        "mobile_phone": ("MOBILE", "{column: MOBILE, transform: phone, region: US}"),
        "phone": ("WORK_PHONE", "{column: WORK_PHONE, transform: phone, region: US}"),
        "full_name": ("LEAD_NAME", "LEAD_NAME"),
        "company": ("COMPANY", "COMPANY"),
        "region": ("STATE", "STATE"),
        "status": ("STATUS", "STATUS"),
        "owner": ("OWNER", "OWNER"),
    }


@pytest.mark.parametrize(
    ("value", "written"),
    [("EMAIL", "EMAIL"), ("ACCOUNT.NAME", "ACCOUNT.NAME"), ("No", '"No"'), ("59.0", '"59.0"')],
)
def test_scalars_are_quoted_when_yaml_would_read_them_otherwise(value: str, written: str) -> None:
    assert scalar(value) == written


def test_given_complete_metadata_then_the_draft_loads_with_only_shared_columns_mapped() -> None:
    reports = [report("Hot_Leads", *ALL), report("Cold_Leads", ID, EMAIL, FULL)]

    text = draft_field_map("acme", CRM, "Lead_Lists", reports, ["Connector_Activity_Id__c"])
    fm = parse_field_map_text(text, expect_customer="acme")

    assert fm.source.reports == ["Hot_Leads", "Cold_Leads"]
    assert fm.prospect.id == "LEAD_ID"
    assert set(fm.prospect.fields) == {"email", "full_name"}
    assert fm.crm.auth == "web" and fm.crm.client_id == "3MVG9-app"
    assert "#   WORK_PHONE: in Hot_Leads" in text  # only some reports have it: not mapped


@pytest.mark.parametrize(
    ("reports", "external_ids", "open_line"),
    [
        ([report("Leads", EMAIL, FULL)], ["X__c"], "id: TODO"),
        ([report("Leads", ID, CREATED)], ["X__c"], "last_name: TODO"),
        ([report("Grid", *ALL, format="matrix")], ["X__c"], "- Grid"),
        ([report("Top", *ALL, row_limit=10)], ["X__c"], "- Top"),
        ([report("Leads", *ALL)], [], "external_id_field: Connector_Activity_Id__c"),
    ],
)
def test_given_a_choice_the_draft_cannot_make_then_it_is_marked_todo_and_refused(
    reports: list[DraftReport], external_ids: list[str], open_line: str
) -> None:
    text = draft_field_map("acme", CRM, "Leads", reports, external_ids)
    lines = text.splitlines()
    todo_lines = [number for number, line in enumerate(lines, start=1) if "# TODO:" in line]
    assert todo_lines
    assert any(open_line in line for line in lines[todo_lines[0] - 2 : todo_lines[0] + 3])

    with pytest.raises(InvalidFieldMapError) as caught:
        parse_field_map_text(text, "acme.yaml", expect_customer="acme")
    refused = [p for p in caught.value.problems if "open choice marked TODO" in p.message]
    assert [p.line for p in refused] == todo_lines


def test_another_external_id_field_is_suggested_when_the_default_is_missing() -> None:
    text = draft_field_map("acme", CRM, "Leads", [report("Leads", *ALL)], ["Ext_Id__c", "Z__c"])

    assert parse_field_map_text(text).activities.external_id_field == "Ext_Id__c"


def test_a_todo_comment_in_any_map_names_its_line() -> None:
    text = (
        "customer: acme\ncrm: {login_url: https://login.salesforce.com, auth: jwt}\n"
        "source: {report_folder: Call_Lists}\n"
        "prospect:\n  id: CONTACT_ID  # TODO: is this the right id?\n  fields: {email: EMAIL}\n"
    )

    with pytest.raises(InvalidFieldMapError, match=r"acme.yaml:5: open choice marked TODO"):
        parse_field_map_text(text, "acme.yaml")
    parse_field_map_text(text.replace("# TODO:", "# checked:"))
