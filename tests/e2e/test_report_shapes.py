"""Unusual report answers: columns the CRM leaves out, rows without an id, odd id columns."""

from __future__ import annotations

import pytest

from connector.errors import ConfigError, CrmRejected
from connector.privacy.keys import decrypt_prospects
from connector.sandbox import FaultRule
from connector.sync.pull import pull
from tests.e2e.conftest import Customer, Sandbox
from tests.e2e.truth import (
    assert_store_matches_org,
    folder_reports,
    rejected_ids,
    report_member_ids,
)


def _emails(customer: Customer) -> int:
    return sum(1 for p in decrypt_prospects(customer.store, customer.store.prospects()) if p.email)


def test_a_column_missing_from_a_reports_answer_fails_that_report_and_blanks_nothing(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    reports = {r.developer_name: r for r in folder_reports(fresh_sandbox.org, "Call_Lists")}
    webinar = reports["Webinar_Attendees"]
    assert pull(small.fm, small.store, small.crm()).status == "succeeded"
    emails = _emails(small)
    in_webinar = set(small.store.prospect_ids_in(webinar.id))
    assert emails and in_webinar

    fresh_sandbox.org.set_faults(
        [FaultRule(endpoint=f"/analytics/reports/{webinar.id}$", drop_column="EMAIL")]
    )
    with pytest.raises(CrmRejected) as failed:
        pull(small.fm, small.store, small.crm())

    message = str(failed.value)
    for part in ("'demo'", "Webinar_Attendees", "EMAIL", "CONTACT_ID, FIRST_NAME"):
        assert part in message
    assert failed.value.code == "COLUMN_MISSING"
    run = small.store.list_runs()[0]
    assert run.status == "failed" and run.prospects_written == 0
    assert _emails(small) == emails
    assert set(small.store.prospect_ids_in(webinar.id)) == in_webinar

    fresh_sandbox.org.clear_faults()
    again = pull(small.fm, small.store, small.crm())
    assert again.status == "succeeded" and again.prospects_written == 0
    assert_store_matches_org(small.store, fresh_sandbox.org)


def test_a_mapped_column_missing_from_one_reports_type_fails_that_report_alone(
    small: Customer, fresh_sandbox: Sandbox
) -> None:
    reports = {r.developer_name: r for r in folder_reports(fresh_sandbox.org, "Call_Lists")}
    narrow = reports["Webinar_Attendees"]
    narrow.type_columns = [name for name in narrow.type_columns if name != "MAILING_COUNTRY"]
    narrow.detail_columns = [name for name in narrow.detail_columns if name != "MAILING_COUNTRY"]

    with pytest.raises(ConfigError) as failed:
        pull(small.fm, small.store, small.crm())

    message = str(failed.value)
    assert "Webinar_Attendees" in message and "MAILING_COUNTRY" in message
    assert "prospect.fields.country" in message
    others = [r for name, r in reports.items() if name != "Webinar_Attendees"]
    for report in others:
        stored = set(small.store.prospect_ids_in(report.id))
        refused = rejected_ids(small.store, report.id)
        truth = report_member_ids(fresh_sandbox.org, report)
        assert stored and stored | refused == truth, report.developer_name
    assert small.store.prospect_ids_in(narrow.id) == []
    assert small.store.list_runs()[0].status == "failed"
