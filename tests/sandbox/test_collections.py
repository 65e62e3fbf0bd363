"""sObject Collections upsert/create and single-record upsert of Tasks by external id."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
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


def _create_tasks(api: requests.Session, rest: str, count: int) -> list[str]:
    records = [{"attributes": {"type": "Task"}, "Subject": f"Call {n}"} for n in range(count)]
    results = api.post(f"{rest}/composite/sobjects", json={"records": records}).json()
    return [r["id"] for r in results]


def test_failed_collection_results_leave_the_id_key_out(api: requests.Session, rest: str) -> None:
    records = [_task(f"ok:{uuid.uuid4()}"), _task(f"bad:{uuid.uuid4()}", Nope__c="x")]
    good, bad = _upsert(api, rest, records).json()
    assert "id" in good and good["success"] is True
    assert "id" not in bad and bad["success"] is False and bad["created"] is False
    [created_bad] = api.post(
        f"{rest}/composite/sobjects",
        json={"records": [{"attributes": {"type": "Task"}, "Nope__c": "x"}]},
    ).json()
    assert "id" not in created_bad and created_bad["errors"][0]["statusCode"] == "INVALID_FIELD"


def test_collection_retrieve_returns_records_in_order_and_null_for_unknown_ids(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    first, second = _create_tasks(api, rest, 2)
    missing = sandbox_org.tasks.ids.id_for(10_000_000)
    response = api.post(
        f"{rest}/composite/sobjects/Task",
        json={"ids": [second, missing, first], "fields": ["Id", "Subject"]},
    )
    assert response.status_code == 200
    got = response.json()
    assert [r and r["Subject"] for r in got] == ["Call 1", None, "Call 0"]
    assert got[0]["attributes"]["type"] == "Task" and got[0]["Id"] == second
    by_get = api.get(
        f"{rest}/composite/sobjects/Task", params={"ids": first, "fields": "Subject"}
    ).json()
    assert by_get[0]["Subject"] == "Call 0"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"ids": [], "fields": ["Id"]}, "INVALID_FIELD"),
        ({"ids": ["not-an-id"], "fields": ["Id"]}, "MALFORMED_ID"),
        ({"ids": ["00T000000000001"], "fields": []}, "INVALID_FIELD"),
        ({"ids": ["00T000000000001"], "fields": ["Nope__c"]}, "INVALID_FIELD"),
    ],
)
def test_collection_retrieve_refuses_bad_requests(
    api: requests.Session, rest: str, body: dict[str, Any], code: str
) -> None:
    response = api.post(f"{rest}/composite/sobjects/Task", json=body)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == code


def test_collection_update_saves_by_id_and_reports_failures_without_id(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    first, second = _create_tasks(api, rest, 2)
    records = [
        {"attributes": {"type": "Task"}, "id": first, "Subject": "Updated"},
        {"attributes": {"type": "Task"}, "Subject": "no id"},
        {"attributes": {"type": "Task"}, "id": second, "Subject": "x" * 256},
    ]
    response = api.patch(f"{rest}/composite/sobjects", json={"records": records})
    assert response.status_code == 200
    ok, no_id, too_long = response.json()
    assert ok == {"id": first, "success": True, "errors": []}
    assert "id" not in no_id and no_id["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert "id" not in too_long and too_long["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert sandbox_org.tasks.peek(first)["Subject"] == "Updated"  # type: ignore[index]
    assert sandbox_org.tasks.peek(second)["Subject"] == "Call 1"  # type: ignore[index]


def test_collection_update_all_or_none_rolls_back_every_record(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    [task] = _create_tasks(api, rest, 1)
    records = [
        {"attributes": {"type": "Task"}, "id": task, "Subject": "Changed"},
        {"attributes": {"type": "Task"}, "id": task, "Nope__c": "x"},
    ]
    body = {"allOrNone": True, "records": records}
    results = api.patch(f"{rest}/composite/sobjects", json=body).json()
    assert [r["success"] for r in results] == [False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert sandbox_org.tasks.peek(task)["Subject"] == "Call 0"  # type: ignore[index]


def test_collection_delete_by_ids_reports_each_record(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    first, second = _create_tasks(api, rest, 2)
    response = api.delete(f"{rest}/composite/sobjects", params={"ids": f"{first},{second}"})
    assert response.status_code == 200
    assert response.json() == [
        {"id": first, "success": True, "errors": []},
        {"id": second, "success": True, "errors": []},
    ]
    assert first not in sandbox_org.tasks
    again = api.delete(f"{rest}/composite/sobjects", params={"ids": f"{first},bad"}).json()
    assert [r["errors"][0]["statusCode"] for r in again] == ["ENTITY_IS_DELETED", "MALFORMED_ID"]
    assert all("id" not in r for r in again)


def test_collection_delete_all_or_none_keeps_every_record(
    api: requests.Session, rest: str, sandbox_org: SandboxOrg
) -> None:
    [task] = _create_tasks(api, rest, 1)
    params = {"ids": f"{task},bad", "allOrNone": "true"}
    results = api.delete(f"{rest}/composite/sobjects", params=params).json()
    assert [r["success"] for r in results] == [False, False]
    assert task in sandbox_org.tasks


@pytest.mark.parametrize("ids", ["", ",".join(["00T000000000001"] * 201)])
def test_collection_delete_needs_one_to_200_ids(api: requests.Session, rest: str, ids: str) -> None:
    response = api.delete(f"{rest}/composite/sobjects", params={"ids": ids})
    assert response.status_code == 400
