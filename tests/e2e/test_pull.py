"""The walking skeleton end to end: sandbox org over HTTPS -> JWT -> report pull -> store."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from connector.fieldmap import requested_columns
from connector.privacy.keys import decrypt_prospects
from connector.store import TenantStore
from connector.store.models import PROSPECT_FIELDS, Membership, Prospect
from connector.sync.pull import pull
from tests.e2e.conftest import Customer, Sandbox, connect, point_at
from tests.e2e.truth import assert_store_matches_org, folder_reports, report_member_ids, report_runs


def test_a_report_over_5000_rows_lands_whole_with_no_duplicates(
    demo: Customer, sandbox: Sandbox
) -> None:
    run = pull(demo.fm, demo.store, demo.crm())

    assert run.status == "succeeded"
    reports = folder_reports(sandbox.org, "Call_Lists")
    assert max(len(report_member_ids(sandbox.org, r)) for r in reports) > 5000
    assert_store_matches_org(demo.store, sandbox.org)
    assert run.rows_read == sum(len(report_member_ids(sandbox.org, r)) for r in reports)
    assert 0 < run.rejected == len(demo.store.rejected_rows(run.run_id))


def test_only_mapped_columns_and_only_folder_reports_are_ever_requested(
    demo: Customer, sandbox: Sandbox
) -> None:
    sandbox.org.clear_request_log()
    pull(demo.fm, demo.store, demo.crm())

    folder_ids = {r.id for r in folder_reports(sandbox.org, "Call_Lists")}
    runs = report_runs(sandbox.org)
    assert runs, "no report was run"
    for entry in runs:
        assert entry.method == "POST", "a saved report run returns every column: never run one"
        columns = entry.json_body["reportMetadata"]["detailColumns"]
        assert columns == requested_columns(demo.fm)
    touched = {
        part
        for e in sandbox.org.request_log
        for part in e.path.split("/")
        if part.startswith("00O")
    }
    assert touched <= folder_ids
    for outside in folder_reports(sandbox.org, "Private_Reports"):
        assert all(outside.id not in e.path for e in sandbox.org.request_log)


def test_the_store_holds_no_unmapped_field(demo: Customer, sandbox: Sandbox, tmp_path) -> None:
    pull(demo.fm, demo.store, demo.crm())

    mapped = set(demo.fm.prospect.fields)
    unmapped = set(PROSPECT_FIELDS) - mapped
    prospects = decrypt_prospects(demo.store, demo.store.prospects())
    assert prospects
    for prospect in prospects:
        assert all(getattr(prospect, name) is None for name in unmapped)
    assert any(p.email for p in prospects)


def test_a_second_customers_data_is_invisible_to_the_first(
    engine: Engine, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(sandbox, monkeypatch)
    first = connect(sandbox, engine, "demo")
    second = connect(sandbox, engine, "demo2")
    pull(first.fm, first.store, first.crm())
    pull(second.fm, second.store, second.crm())

    first_rows = decrypt_prospects(first.store, first.store.prospects())
    second_rows = decrypt_prospects(second.store, second.store.prospects())
    assert first_rows and second_rows
    assert {p.customer_id for p in first_rows} == {"demo"}
    assert {p.customer_id for p in second_rows} == {"demo2"}
    # demo2 maps no first names: none of demo's values leak into its view
    assert all(p.first_name is None for p in second_rows)
    assert TenantStore(engine, "nobody").count(Prospect) == 0
    assert TenantStore(engine, "nobody").count(Membership) == 0


def test_a_second_pull_with_no_crm_changes_writes_no_prospect(demo: Customer) -> None:
    first = pull(demo.fm, demo.store, demo.crm())
    second = pull(demo.fm, demo.store, demo.crm())

    assert first.prospects_written > 0
    assert second.prospects_written == 0
    assert second.memberships_added == second.memberships_removed == 0
    assert second.prospects_unchanged == first.prospects_written + first.prospects_unchanged


def test_api_calls_stay_near_one_per_2000_rows(demo: Customer) -> None:
    run = pull(demo.fm, demo.store, demo.crm())
    # folder lookup + report list + one describe per report + one run per started 2,000 rows
    # + a read of the org's report-run counters before the first page and every 25 pages
    pages = sum(
        (len(demo.store.prospect_ids_in(c.report_id)) // 2000) + 1 for c in demo.store.call_lists()
    )
    assert run.api_calls <= 2 + run.reports + pages + 1 + pages // 25


def test_a_netrc_default_login_on_the_machine_changes_nothing(
    demo: Customer, sandbox: Sandbox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests would send a netrc file's login as Basic credentials in place of the bearer
    token (the sandbox then refuses every call); the connector's sessions never read it."""
    netrc = tmp_path / "netrc"
    netrc.write_text("default login someone@demo.example password never-sent\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    run = pull(demo.fm, demo.store, demo.crm())

    assert run.status == "succeeded"
    assert_store_matches_org(demo.store, sandbox.org)
