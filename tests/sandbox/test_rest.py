"""REST data API: versions, describe, SOQL query with paging, limits and usage accounting."""

from __future__ import annotations

import pytest
import requests

from connector.sandbox import SandboxOrg, SandboxServer


def test_versions_need_no_token(http: requests.Session, sandbox_server: SandboxServer) -> None:
    response = http.get(f"{sandbox_server.base_url}/services/data/")
    assert response.status_code == 200
    assert {
        "version": "59.0",
        "url": "/services/data/v59.0",
        "label": "Winter '24",
    } in response.json()
    assert "Sforce-Limit-Info" not in response.headers


def test_rest_calls_without_a_token_get_invalid_session_id(
    http: requests.Session, rest: str
) -> None:
    response = http.get(f"{rest}/sobjects/")
    assert response.status_code == 401
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_global_describe_lists_the_objects_with_key_prefixes(
    api: requests.Session, rest: str
) -> None:
    sobjects = {s["name"]: s for s in api.get(f"{rest}/sobjects/").json()["sobjects"]}
    assert {
        "Account",
        "Contact",
        "Lead",
        "Task",
        "User",
        "Organization",
        "Folder",
        "Report",
    } <= set(sobjects)
    assert sobjects["Contact"]["keyPrefix"] == "003"
    assert sobjects["Task"]["urls"]["describe"] == "/services/data/v59.0/sobjects/Task/describe"


def test_task_describe_has_the_activity_fields_and_the_external_id(
    api: requests.Session, rest: str
) -> None:
    fields = {f["name"]: f for f in api.get(f"{rest}/sobjects/Task/describe/").json()["fields"]}
    for name in (
        "Subject", "Status", "Priority", "ActivityDate", "WhoId", "WhatId", "Description",
        "Type", "TaskSubtype", "CallDurationInSeconds", "CallType", "CallDisposition",
        "CallObject", "OwnerId",
    ):  # fmt: skip
        assert name in fields
    ext = fields["Connector_Activity_Id__c"]
    assert (ext["type"], ext["length"], ext["externalId"], ext["unique"], ext["idLookup"]) == (
        "string", 80, True, True, True,
    )  # fmt: skip
    assert fields["TaskSubtype"]["updateable"] is False
    assert fields["WhoId"]["referenceTo"] == ["Contact", "Lead"]


def test_describe_of_an_unknown_object_is_not_found(api: requests.Session, rest: str) -> None:
    response = api.get(f"{rest}/sobjects/Nope__c/describe/")
    assert response.status_code == 404 and response.json()[0]["errorCode"] == "NOT_FOUND"


def test_query_returns_records_with_attributes_nested_parents_and_salesforce_datetimes(
    api: requests.Session, rest: str
) -> None:
    q = "SELECT Id, email, Account.Name, CreatedDate FROM Contact ORDER BY Id LIMIT 3"
    body = api.get(f"{rest}/query/", params={"q": q}).json()
    assert body["totalSize"] == 3 and body["done"] is True and "nextRecordsUrl" not in body
    record = body["records"][0]
    assert record["attributes"] == {
        "type": "Contact",
        "url": f"/services/data/v59.0/sobjects/Contact/{record['Id']}",
    }
    assert "Email" in record  # canonical case
    assert record["Account"]["attributes"]["type"] == "Account" and record["Account"]["Name"]
    assert record["CreatedDate"].endswith(".000+0000") and "T" in record["CreatedDate"]


def test_query_pages_with_next_records_url_and_batch_size(
    api: requests.Session, rest: str, sandbox_server: SandboxServer
) -> None:
    headers = {"Sforce-Query-Options": "batchSize=200"}
    body = api.get(f"{rest}/query/", params={"q": "SELECT Id FROM Lead"}, headers=headers).json()
    assert body["totalSize"] == 500 and body["done"] is False and len(body["records"]) == 200
    assert body["nextRecordsUrl"].startswith("/services/data/v59.0/query/0r8")
    assert body["nextRecordsUrl"].endswith("-200")
    seen = [r["Id"] for r in body["records"]]
    while not body["done"]:
        body = api.get(sandbox_server.base_url + body["nextRecordsUrl"]).json()
        seen += [r["Id"] for r in body["records"]]
    assert len(seen) == len(set(seen)) == 500
    assert seen == sorted(seen)


@pytest.mark.parametrize(("asked", "page"), [("batchSize=5", 200), ("batchSize=5000", 2000)])
def test_batch_size_is_clamped(api: requests.Session, rest: str, asked: str, page: int) -> None:
    body = api.get(
        f"{rest}/query/",
        params={"q": "SELECT Id FROM Contact"},
        headers={"Sforce-Query-Options": asked},
    ).json()
    assert len(body["records"]) == page


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id, Nope__c FROM Contact", "INVALID_FIELD"),
        ("SELECT Id FROM Nope__c", "INVALID_TYPE"),
        ("SELECT Id FROM Contact WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Contact WHERE Birthdate > '2000-01-01'", "INVALID_FIELD"),
    ],
)
def test_query_errors(api: requests.Session, rest: str, soql: str, code: str) -> None:
    response = api.get(f"{rest}/query/", params={"q": soql})
    assert response.status_code == 400 and response.json()[0]["errorCode"] == code


def test_where_filters_and_count(api: requests.Session, rest: str, sandbox_org: SandboxOrg) -> None:
    folder = next(f for f in sandbox_org.folders.values() if f.developer_name == "Call_Lists")
    q = f"SELECT Id, DeveloperName, FolderName FROM Report WHERE OwnerId = '{folder.id}'"  # noqa: S608
    names = {
        r["DeveloperName"] for r in api.get(f"{rest}/query/", params={"q": q}).json()["records"]
    }
    assert names == {"Enterprise_Contacts", "Webinar_Attendees", "Renewals_Q3"}
    q = "SELECT Id, Name, DeveloperName FROM Folder WHERE Type = 'Report' AND DeveloperName IN ('Call_Lists')"  # noqa: E501
    folders = api.get(f"{rest}/query/", params={"q": q}).json()["records"]
    assert [f["Name"] for f in folders] == ["Call lists"]
    count = api.get(
        f"{rest}/query/", params={"q": "SELECT COUNT() FROM Lead WHERE Email LIKE '%.lead1%'"}
    )
    assert count.json()["records"] == [] and 0 < count.json()["totalSize"] < 500
    org_row = api.get(f"{rest}/query/", params={"q": "SELECT Id, IsSandbox FROM Organization"})
    assert org_row.json()["records"][0]["Id"] == sandbox_org.organization_id


def test_every_rest_response_carries_the_limit_header_and_counts(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    before = sandbox_org.api_usage
    response = api.get(f"{rest}/limits/")
    assert response.headers["Sforce-Limit-Info"] == f"api-usage={before + 1}/15000"
    assert response.json()["DailyApiRequests"] == {"Max": 15000, "Remaining": 15000 - before - 1}


def test_given_the_daily_allocation_is_spent_then_request_limit_exceeded(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    sandbox_org.api_daily_max = sandbox_org.api_usage
    response = api.get(f"{rest}/limits/")
    assert response.status_code == 403
    assert response.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_query_all_sees_deleted_records(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    lead_id = next(iter(sandbox_org.leads))
    row = dict(sandbox_org.leads[lead_id])
    del sandbox_org.leads[lead_id]
    try:
        q = f"SELECT Id, IsDeleted FROM Lead WHERE Id = '{lead_id}'"  # noqa: S608
        assert api.get(f"{rest}/query/", params={"q": q}).json()["totalSize"] == 0
        found = api.get(f"{rest}/queryAll/", params={"q": q}).json()["records"]
        assert found[0]["IsDeleted"] is True
    finally:
        sandbox_org.leads[lead_id] = row


def test_version_resources_name_the_identity_url_and_only_served_resources(
    api: requests.Session, rest: str, sandbox_server: SandboxServer, sandbox_org: SandboxOrg
) -> None:
    resources = api.get(rest).json()
    user = sandbox_org.integration_user_id
    identity = f"{sandbox_server.base_url}/id/{sandbox_org.organization_id}/{user}"
    assert resources.pop("identity") == identity
    assert api.get(identity).json()["user_id"] == user
    assert {"sobjects", "query", "limits", "analytics"} <= set(resources)
    for name, path in resources.items():
        params = {"q": "SELECT Id FROM User"} if name.startswith("query") else None
        response = api.get(f"{sandbox_server.base_url}{path}", params=params)
        assert response.status_code == 200, (name, response.text)
