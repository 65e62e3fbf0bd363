"""Deterministic demo data: accounts, contacts, leads, users, report folders and reports.

Everything derives from `SeedConfig.seed`, so two orgs built from the same config are equal,
id for id. Small tables come from ``random.Random(seed)``. Contacts are generated on demand
from a 64-bit mix of (seed, row number) so that a 1,000,000-row report org builds in about a
second and holds only the report membership arrays in memory.

Shape of the seeded org (``N = big_report_rows``):

* 200 accounts, ``N + 400`` contacts, 500 leads, 3 users (``integration@demo.example``,
  ``admin@demo.example``, ``rep@demo.example``);
* folder "Call lists" (``Call_Lists``) with reports ``Enterprise_Contacts`` (N rows, no saved
  filters), ``Webinar_Attendees`` (about 1,200 rows, overlapping Enterprise_Contacts, saved
  filters with boolean logic ``1 AND 2``) and ``Renewals_Q3`` (about 300 rows, one saved filter);
* folder "Private reports" (``Private_Reports``, hidden) with report ``Salary_Review``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox.ids import KEY_PREFIXES, IdSequence
from connector.sandbox.reports import Folder, Report, ReportMembers
from connector.sandbox.schema import INDUSTRIES, LEAD_SOURCES, LEAD_STATUSES
from connector.sandbox.tables import RecordTable, Row

FIRST_NAMES = (
    "Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Edsger", "Barbara", "Dennis",
    "Frances", "Ken", "Radia", "Donald", "Hedy", "Tim", "Shafi", "John", "Anita", "Guido",
    "Sophie", "Niklaus", "Joan", "Bjarne", "Mary", "Claude", "Evelyn", "Vint", "Annie",
    "Leslie", "Jean",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Dijkstra", "Liskov",
    "Ritchie", "Allen", "Thompson", "Perlman", "Knuth", "Lamarr", "Berners-Lee", "Goldwasser",
    "Backus", "Borg", "van Rossum", "Wilson", "Wirth", "Clarke", "Stroustrup", "Keller",
    "Shannon", "Boyd", "Cerf", "Easley", "Lamport", "Sammet", "O'Neil", "Müller",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent",
    "Hooli", "Vandelay", "Wonka", "Oceanic", "Aperture", "Massive", "Nakatomi", "Gringotts",
    "Monarch", "Dunder", "Pied",
)  # fmt: skip
COMPANY_KINDS = (
    "Robotics", "Logistics", "Analytics", "Foods", "Energy", "Health", "Media", "Capital",
    "Systems", "Labs", "Mining", "Airlines", "Textiles", "Pharma", "Software",
)  # fmt: skip
TITLES = (
    "CEO", "CTO", "VP Sales", "Head of Operations", "Procurement Manager", "IT Director",
    "Account Executive", "Office Manager", "CFO", "Engineer",
)  # fmt: skip
COUNTRIES = ("United States", "Germany", "France", "United Kingdom", "Canada", "Japan", "Brazil")
ORG_EPOCH = dt.datetime(2022, 1, 3, 8, 0, tzinfo=dt.UTC)
_MASK = (1 << 64) - 1


_AREA_CODES = (201, 212, 303, 312, 415, 512, 617, 646, 702, 718, 805, 917)


def fictional_phone(bits: int) -> str:
    """A US number from the 555-0100..0199 range reserved for fiction (valid, nobody's).

    One in 64 is malformed on purpose (an unassigned area code), as real CRMs hold some.
    """
    if bits % 64 == 0:
        return f"+1 555 {bits % 900 + 100} {bits % 10000:04d}"
    area = _AREA_CODES[(bits >> 6) % len(_AREA_CODES)]
    return f"+1 {area} 555 01{(bits >> 10) % 100:02d}"


@dataclass(frozen=True)
class SeedConfig:
    """What to generate. Equal configs give equal orgs."""

    seed: int = 7
    big_report_rows: int = 6000
    accounts: int = 200
    leads: int = 500
    webinar_rows: int = 1200
    renewals_rows: int = 300
    unreported_contacts: int = 400
    org_name: str = "Connector Sandbox Org"
    is_sandbox: bool = False


@dataclass
class SeededData:
    """Everything `build` produces, ready for `SandboxOrg` to own."""

    organization: Row
    accounts: RecordTable
    contacts: RecordTable
    leads: RecordTable
    users: RecordTable
    tasks: RecordTable
    folders: dict[str, Folder]
    reports: dict[str, Report]
    ids: dict[str, IdSequence] = field(default_factory=dict)


def mix64(value: int) -> int:
    """SplitMix64 finaliser: a fast, well-spread 64-bit hash of an integer."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def build(config: SeedConfig) -> SeededData:
    """Generate the org described in the module docstring."""
    rng = random.Random(config.seed)
    ids = {name: IdSequence(prefix) for name, prefix in KEY_PREFIXES.items()}
    users = _users(ids["User"])
    admin_id = ids["User"].id_for(1)
    accounts = _accounts(rng, config, ids["Account"], admin_id)
    total_contacts = config.big_report_rows + config.unreported_contacts
    contacts = RecordTable(
        "Contact",
        ids["Contact"],
        ContactGenerator(config.seed, accounts, admin_id),
        total_contacts,
    )
    leads = _leads(rng, config, ids["Lead"], admin_id)
    folders = _folders(ids["Folder"])
    reports = _reports(rng, config, ids, folders)
    return SeededData(
        organization=_organization(config, ids["Organization"]),
        accounts=accounts,
        contacts=contacts,
        leads=leads,
        users=users,
        tasks=RecordTable("Task", ids["Task"]),
        folders=folders,
        reports=reports,
        ids=ids,
    )


def _audit(created: dt.datetime, modified: dt.datetime | None = None) -> Row:
    modified = modified or created
    return {
        "IsDeleted": False,
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modified,
    }


def _organization(config: SeedConfig, sequence: IdSequence) -> Row:
    return {
        "Id": sequence.id_for(config.seed % 1000 + 1),
        "Name": config.org_name,
        "IsSandbox": config.is_sandbox,
        "OrganizationType": "Developer Edition",
        "InstanceName": "SBX1",
        "LanguageLocaleKey": "en_US",
        "CreatedDate": ORG_EPOCH,
        "LastModifiedDate": ORG_EPOCH,
        "SystemModstamp": ORG_EPOCH,
    }


def _users(sequence: IdSequence) -> RecordTable:
    table = RecordTable("User", sequence)
    people = (
        ("integration", "Integration", "User"),
        ("admin", "Avery", "Admin"),
        ("rep", "Riley", "Rep"),
    )
    for alias, first, last in people:
        table.insert(
            {
                "Username": f"{alias}@demo.example",
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "Email": f"{alias}@demo.example",
                "Alias": alias[:8],
                "IsActive": True,
                **_audit(ORG_EPOCH),
            }
        )
    return table


def _accounts(
    rng: random.Random, config: SeedConfig, sequence: IdSequence, owner_id: str
) -> RecordTable:
    table = RecordTable("Account", sequence)
    combos = [(word, kind) for word in COMPANY_WORDS for kind in COMPANY_KINDS]
    chosen = rng.sample(combos, min(config.accounts, len(combos)))
    while len(chosen) < config.accounts:
        word, kind = rng.choice(combos)
        chosen.append((word, f"{kind} {len(chosen)}"))
    for number, (word, kind) in enumerate(chosen):
        name = f"{word} {kind}"
        created = ORG_EPOCH + dt.timedelta(hours=number)
        table.insert(
            {
                "Name": name,
                "Type": rng.choice(("Customer", "Prospect", "Partner")),
                "Industry": rng.choice(INDUSTRIES),
                "BillingCountry": rng.choice(COUNTRIES),
                "Website": f"https://www.{_slug(name)}.example",
                "Phone": fictional_phone(rng.getrandbits(32)),
                "NumberOfEmployees": rng.randrange(5, 50000),
                "OwnerId": owner_id,
                **_audit(created),
            }
        )
    return table


def _leads(
    rng: random.Random, config: SeedConfig, sequence: IdSequence, owner_id: str
) -> RecordTable:
    table = RecordTable("Lead", sequence)
    for number in range(config.leads):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
        created = ORG_EPOCH + dt.timedelta(hours=2 * number)
        table.insert(
            {
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "Company": company,
                "Title": rng.choice(TITLES),
                "Email": f"{_slug(first)}.{_slug(last)}.lead{number}@{_slug(company)}.example",
                "Phone": fictional_phone(rng.getrandbits(32)),
                "Status": rng.choice(LEAD_STATUSES),
                "LeadSource": rng.choice(LEAD_SOURCES),
                "Country": rng.choice(COUNTRIES),
                "IsConverted": False,
                "OwnerId": owner_id,
                **_audit(created, created + dt.timedelta(days=rng.randrange(0, 60))),
            }
        )
    return table


def _slug(text: str) -> str:
    return "".join(char for char in text.lower() if char.isascii() and char.isalnum())


_FIRST = [(name, _slug(name)) for name in FIRST_NAMES]
_LAST = [(name, _slug(name)) for name in LAST_NAMES]


class ContactGenerator:
    """Contact row `n` as a pure function of (seed, n): no storage, no shared random state."""

    def __init__(self, seed: int, accounts: RecordTable, owner_id: str) -> None:
        self._salt = mix64(seed * 1_000_003 + 17)
        self._owner_id = owner_id
        self._ids = IdSequence(KEY_PREFIXES["Contact"])
        self._accounts = [
            (row["Id"], _slug(row["Name"]))
            for row in (accounts.peek(rid) for rid in accounts)
            if row is not None
        ]

    def __call__(self, index: int) -> Row:
        h = mix64(self._salt ^ index)
        first, first_slug = _FIRST[h % len(_FIRST)]
        last, last_slug = _LAST[(h >> 8) % len(_LAST)]
        account_id, domain = self._accounts[(h >> 16) % len(self._accounts)]
        created = ORG_EPOCH + dt.timedelta(seconds=61 * index)
        modified = created + dt.timedelta(minutes=(h >> 13) % 129_600)
        return {
            "Id": self._ids.id_for(index),
            "AccountId": account_id,
            "FirstName": first,
            "LastName": last,
            "Name": f"{first} {last}",
            "Title": None if (h >> 40) % 12 == 0 else TITLES[(h >> 36) % len(TITLES)],
            "Phone": None if (h >> 24) % 10 == 0 else fictional_phone(h >> 28),
            "Email": f"{first_slug}.{last_slug}.{index}@{domain}.example",
            "Birthdate": None
            if (h >> 44) % 5 == 0
            else dt.date(1960 + (h >> 46) % 40, 1 + (h >> 52) % 12, 1 + (h >> 56) % 28),
            "MailingCountry": COUNTRIES[(h >> 58) % len(COUNTRIES)],
            "LeadSource": LEAD_SOURCES[(h >> 3) % len(LEAD_SOURCES)],
            "OwnerId": self._owner_id,
            "IsDeleted": False,
            "CreatedDate": created,
            "LastModifiedDate": modified,
            "SystemModstamp": modified,
        }


def _folders(sequence: IdSequence) -> dict[str, Folder]:
    call_lists = Folder(sequence.id_for(1), "Call lists", "Call_Lists")
    private = Folder(sequence.id_for(2), "Private reports", "Private_Reports", access_type="Hidden")
    return {folder.id: folder for folder in (call_lists, private)}


def _reports(
    rng: random.Random, config: SeedConfig, ids: dict[str, IdSequence], folders: dict[str, Folder]
) -> dict[str, Report]:
    contact_ids = ids["Contact"]
    total = config.big_report_rows + config.unreported_contacts
    spread = max(1, config.unreported_contacts)
    unreported = sorted(
        {int((k + 0.5) * total / spread) for k in range(config.unreported_contacts)}
    )
    unreported_set = set(unreported)
    enterprise = ReportMembers(contact_ids, (i for i in range(total) if i not in unreported_set))

    def sample_enterprise(count: int) -> list[int]:
        count = min(count, len(enterprise))
        picked = rng.sample(range(len(enterprise)), count)
        return [enterprise.indices[position] for position in picked]

    def sample_unreported(count: int) -> list[int]:
        return rng.sample(unreported, min(count, len(unreported)))

    webinar_outside = config.webinar_rows // 4
    webinar = ReportMembers(
        contact_ids,
        sample_enterprise(config.webinar_rows - webinar_outside)
        + sample_unreported(webinar_outside),
    )
    renewals_outside = config.renewals_rows // 3
    renewals = ReportMembers(
        contact_ids,
        sample_enterprise(config.renewals_rows - renewals_outside)
        + sample_unreported(renewals_outside),
    )
    salary = ReportMembers(contact_ids, sample_enterprise(50))
    call_lists, private = list(folders)
    by_last_name = [{"sortColumn": "LAST_NAME", "sortOrder": "Asc"}]
    report_ids = ids["Report"]
    definitions: list[Report] = [
        Report(
            report_ids.id_for(1),
            "Enterprise contacts",
            "Enterprise_Contacts",
            call_lists,
            enterprise,
            sort_by=by_last_name,
            description="Contacts at enterprise accounts, for the outbound team.",
        ),
        Report(
            report_ids.id_for(2),
            "Webinar attendees",
            "Webinar_Attendees",
            call_lists,
            webinar,
            report_filters=[
                _filter("EMAIL", "notEqual", ""),
                _filter("MAILING_COUNTRY", "notEqual", ""),
            ],
            report_boolean_filter="1 AND 2",
            sort_by=by_last_name,
            description="Everyone who attended a webinar this quarter.",
        ),
        Report(
            report_ids.id_for(3),
            "Renewals Q3",
            "Renewals_Q3",
            call_lists,
            renewals,
            report_filters=[_filter("EMAIL", "notEqual", "")],
            description="Contacts on accounts renewing in Q3.",
        ),
        Report(
            report_ids.id_for(4),
            "Salary review",
            "Salary_Review",
            private,
            salary,
            description="Confidential. Never part of a call list.",
        ),
    ]
    return {report.id: report for report in definitions}


def _filter(column: str, operator: str, value: str) -> dict[str, Any]:
    return {"column": column, "operator": operator, "value": value, "isRunPageEditable": True}
