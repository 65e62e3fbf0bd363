"""The seeded org: deterministic, shaped as documented, and fast at a million rows."""

from __future__ import annotations

import time

from connector.cli.sandbox_cmds import choose_fault_seed, fault_rules, parse_fault
from connector.sandbox import SandboxOrg, SeedConfig
from connector.sandbox.report_runner import run
from connector.sandbox.reports import COLUMNS


def test_the_same_seed_builds_the_same_org() -> None:
    one = SandboxOrg.seeded(SeedConfig(seed=3, big_report_rows=50))
    two = SandboxOrg.seeded(SeedConfig(seed=3, big_report_rows=50))
    other = SandboxOrg.seeded(SeedConfig(seed=4, big_report_rows=50))
    assert list(one.contacts.iter_rows()) == list(two.contacts.iter_rows())
    assert [r.members.indices for r in one.reports.values()] == [
        r.members.indices for r in two.reports.values()
    ]
    assert list(one.contacts.iter_rows()) != list(other.contacts.iter_rows())


def test_the_seeded_org_has_the_documented_shape() -> None:
    org = SandboxOrg.seeded(SeedConfig(seed=7, big_report_rows=6000))
    assert org.organization_id.startswith("00D") and len(org.organization_id) == 18
    assert (len(org.accounts), len(org.leads), len(org.contacts)) == (200, 500, 6400)
    folders = {f.developer_name: f for f in org.folders.values()}
    assert folders["Call_Lists"].name == "Call lists" and folders["Call_Lists"].type == "Report"
    reports = {r.developer_name: r for r in org.reports.values()}
    assert len(reports["Enterprise_Contacts"].members) == 6000
    assert len(reports["Webinar_Attendees"].members) == 1200
    assert len(reports["Renewals_Q3"].members) == 300
    assert reports["Salary_Review"].folder_id == folders["Private_Reports"].id
    overlap = set(reports["Webinar_Attendees"].members) & set(
        reports["Enterprise_Contacts"].members
    )
    assert 0 < len(overlap) < 1200
    assert all(r.detail_columns == list(COLUMNS) for r in reports.values())
    assert org.user_by_username("integration@demo.example")["Id"].startswith("005")  # type: ignore[index]
    contact = org.contacts.peek(next(iter(org.contacts)))
    assert contact is not None
    for field in ("FirstName", "LastName", "Email", "Phone", "Title", "Birthdate", "AccountId",
                  "MailingCountry", "LeadSource", "CreatedDate", "LastModifiedDate", "SystemModstamp"):  # fmt: skip  # noqa: E501
        assert field in contact


def test_a_million_row_org_builds_fast_and_keyset_pages_cost_o_page() -> None:
    started = time.monotonic()
    org = SandboxOrg.seeded(SeedConfig(seed=7, big_report_rows=1_000_000))
    assert time.monotonic() - started < 10
    report = next(r for r in org.reports.values() if r.developer_name == "Enterprise_Contacts")
    last = report.members.ids.id_for(report.members.indices[900_000])
    metadata = {
        "detailColumns": ["CONTACT_ID", "EMAIL"],
        "sortBy": [{"sortColumn": "CONTACT_ID", "sortOrder": "Asc"}],
        "reportFilters": [{"column": "CONTACT_ID", "operator": "greaterThan", "value": last}],
    }
    started = time.monotonic()
    body = run(org, report, metadata, True, "v59.0")
    assert time.monotonic() - started < 2
    rows = body["factMap"]["T!T"]["rows"]
    assert len(rows) == 2000 and rows[0]["dataCells"][0]["value"] > last
    assert body["factMap"]["T!T"]["aggregates"][0]["value"] == 1_000_000 - 900_001


def test_cli_fault_specs() -> None:
    rule = parse_fault(r"/analytics/reports/:0.25:UNABLE_TO_LOCK_ROW")
    assert (rule.endpoint, rule.rate, rule.error_code, rule.status) == (
        "/analytics/reports/", 0.25, "UNABLE_TO_LOCK_ROW", 400,
    )  # fmt: skip
    assert parse_fault("/query").rate == 1.0


def test_cli_fault_rules_draw_from_distinct_seeds_derived_from_the_fault_seed() -> None:
    rules = fault_rules(["/query:0.2", "/analytics/:0.2:UNABLE_TO_LOCK_ROW"], 0, fault_seed=41)
    assert [rule.seed for rule in rules] == [41, 42]
    again = fault_rules(["/query:0.2", "/analytics/:0.2:UNABLE_TO_LOCK_ROW"], 0, fault_seed=41)
    assert [r.roll() for r in rules[0:1] for _ in range(50)] == [
        r.roll() for r in again[0:1] for _ in range(50)
    ]


def test_cli_fault_rules_at_a_20_percent_rate_fire_early_for_most_seeds() -> None:
    early = 0
    for fault_seed in range(20):
        (rule,) = fault_rules(["/query:0.2"], 0, fault_seed=fault_seed)
        early += any(rule.roll() for _ in range(10))
    assert early >= 15  # 1 - 0.8**10 = 89% of seeds fire within 10 requests


def test_cli_latency_comes_first_and_keeps_the_faults() -> None:
    rules = fault_rules(["/query:1.0"], 250, fault_seed=5)
    assert [(r.endpoint, r.status, r.latency_ms) for r in rules] == [
        (".*", 200, 250),
        ("/query", 503, 0),
    ]
    assert len({rule.seed for rule in rules}) == 2


def test_the_default_fault_seed_is_random() -> None:
    assert len({choose_fault_seed(None) for _ in range(5)}) > 1
    assert choose_fault_seed(17) == 17
