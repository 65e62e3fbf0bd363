"""sObject Collections upsert/create and single-record upsert of Tasks by external id."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from connector.sandbox import FaultRule, SandboxOrg

EXT = "Connector_Activity_Id__c"


def _task(ext: str, **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Task"}, EXT: ext, "Subject": "Call", **fields}


def _upsert(
    api: requests.Session, rest: str, records: list[dict[str, Any]], all_or_none: bool = False
) -> requests.Response:
    return api.patch(
        f"{rest}/composite/sobjects/Task/{EXT}",
        json={"allOrNone": all_or_none, "records": records},
    )


def _contact_id(org: SandboxOrg) -> str:
    return next(iter(org.contacts))


def test_upserting_the_same_external_id_twice_creates_then_updates_one_task(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    ext = f"dialer:{uuid.uuid4()}"
    who = _contact_id(sandbox_org)
    first = _upsert(api, rest, [_task(ext, WhoId=who, TaskSubtype="Call", Status="Completed")])
    assert first.status_code == 200
    [created] = first.json()
    assert created["success"] is True and created["created"] is True and created["errors"] == []
    assert created["id"].startswith("00T")
    second = _upsert(api, rest, [_task(ext, WhoId=who, TaskSubtype="Call", Subject="Call: again")])
    [updated] = second.json()
    assert updated == {"id": created["id"], "success": True, "errors": [], "created": False}
    matching = [t for t in sandbox_org.tasks.values() if t[EXT] == ext]
    assert len(matching) == 1 and matching[0]["Subject"] == "Call: again"
    assert matching[0]["IsClosed"] is True
    assert matching[0]["AccountId"] == sandbox_org.contacts.peek(who)["AccountId"]  # type: ignore[index]


def test_partial_failures_are_reported_per_record_in_input_order(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    good = f"ok:{uuid.uuid4()}"
    dup = f"dup:{uuid.uuid4()}"
    lead_id = next(iter(sandbox_org.leads))
    records = [
        _task(good, WhoId=lead_id),
        _task(f"bad-who:{uuid.uuid4()}", WhoId=sandbox_org.accounts.ids.id_for(0)),
        _task(f"long:{uuid.uuid4()}", Subject="x" * 256),
        _task(f"field:{uuid.uuid4()}", Nope__c="x"),
        _task(dup),
        _task(dup),
        {"attributes": {"type": "Task"}, "Subject": "no external id"},
        _task(f"subtype:{uuid.uuid4()}", TaskSubtype="Cadence"),
    ]
    results = _upsert(api, rest, records).json()
    codes = [r["errors"][0]["statusCode"] if r["errors"] else None for r in results]
    assert codes == [
        None,
        "INVALID_CROSS_REFERENCE_KEY",
        "STRING_TOO_LONG",
        "INVALID_FIELD",
        "DUPLICATE_VALUE",
        "DUPLICATE_VALUE",
        "REQUIRED_FIELD_MISSING",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    ]
    assert results[0]["success"] is True
    assert results[2]["errors"][0]["fields"] == ["Subject"]
    assert sum(1 for t in sandbox_org.tasks.values() if t[EXT] == dup) == 0


def test_given_all_or_none_when_one_record_fails_then_nothing_is_saved(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    before = len(sandbox_org.tasks)
    records = [_task(f"aon:{uuid.uuid4()}"), _task(f"aon:{uuid.uuid4()}", WhoId="003000000000000")]
    results = _upsert(api, rest, records, all_or_none=True).json()
    assert results[0]["success"] is False
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert len(sandbox_org.tasks) == before


def test_task_subtype_cannot_be_changed_by_an_update(api: requests.Session, rest: str) -> None:
    ext = f"subtype:{uuid.uuid4()}"
    assert _upsert(api, rest, [_task(ext, TaskSubtype="Call")]).json()[0]["created"] is True
    same = _upsert(api, rest, [_task(ext, TaskSubtype="Call")]).json()[0]
    assert same["success"] is True
    changed = _upsert(api, rest, [_task(ext, TaskSubtype="Email")]).json()[0]
    assert changed["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_more_than_200_records_are_refused(api: requests.Session, rest: str) -> None:
    response = _upsert(api, rest, [_task(f"many:{n}") for n in range(201)])
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_per_record_faults_fail_a_share_of_records_but_not_the_call(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    sandbox_org.set_faults(
        [
            FaultRule(
                endpoint=r"/composite/sobjects",
                rate=0.5,
                error_code="UNABLE_TO_LOCK_ROW",
                per_record=True,
                seed=1,
            )
        ]
    )
    response = _upsert(api, rest, [_task(f"lock:{uuid.uuid4()}") for _ in range(40)])
    assert response.status_code == 200
    failed = [r for r in response.json() if not r["success"]]
    assert 5 < len(failed) < 35
    assert {r["errors"][0]["statusCode"] for r in failed} == {"UNABLE_TO_LOCK_ROW"}


def test_collection_create_and_single_record_upsert_and_read(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    created = api.post(
        f"{rest}/composite/sobjects",
        json={
            "allOrNone": False,
            "records": [{"attributes": {"type": "Task"}, "Subject": "Email"}],
        },
    ).json()
    assert created[0]["success"] is True and "created" not in created[0]
    ext = f"single:{uuid.uuid4()}"
    first = api.patch(f"{rest}/sobjects/Task/{EXT}/{ext}", json={"Subject": "Call"})
    assert first.status_code == 201 and first.json()["created"] is True
    again = api.patch(f"{rest}/sobjects/Task/{EXT}/{ext}", json={"Subject": "Call 2"})
    assert again.status_code == 200 and again.json()["created"] is False
    task = api.get(f"{rest}/sobjects/Task/{first.json()['id']}").json()
    assert task["Subject"] == "Call 2" and task[EXT] == ext and task["Status"] == "Not Started"
    soql = f"SELECT Id, Subject FROM Task WHERE {EXT} = '{ext}'"  # noqa: S608 - test data
    assert api.get(f"{rest}/query/", params={"q": soql}).json()["totalSize"] == 1
