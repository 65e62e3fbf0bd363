"""Push fixtures: a field map, activity builders, and a seeded sandbox org over real HTTPS.

The sandbox is shared by the session; each test uses its own activity UUIDs, so Tasks left by
other tests never match. Faults and the request log are reset around every test.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connector.crm.salesforce.adapter import SalesforceAdapter
from connector.crm.salesforce.keys import generate_key_pair
from connector.crm.salesforce.oauth_jwt import fetch_jwt_token
from connector.crm.salesforce.session import SalesforceSession
from connector.crm.salesforce.tokens import StaticTokenSource
from connector.fieldmap import FieldMap
from connector.sandbox import ConnectedApp, SandboxOrg, SandboxServer, SeedConfig
from connector.sync.activities import ActivityIn
from tests.helpers.key_ring import key_ring  # noqa: F401  (autouse)

CLIENT_ID = "connector-push-tests"
USERNAME = "integration@demo.example"
EXT_FIELD = "Connector_Activity_Id__c"
UPSERT_PATH = f"/composite/sobjects/Task/{EXT_FIELD}"


def field_map(customer: str = "acme", **activities: Any) -> FieldMap:
    """A valid field map whose `activities` section is the defaults plus `activities`."""
    return FieldMap.model_validate(
        {
            "customer": customer,
            "crm": {"login_url": "https://acme.my.salesforce.com", "auth": "jwt"},
            "source": {"report_folder": "Call_Lists"},
            "prospect": {"id": "CONTACT_ID", "fields": {"last_name": "LAST_NAME"}},
            "activities": {"external_id_field": EXT_FIELD, **activities},
        }
    )


def a_call(prospect: str, n: int = 0, **overrides: Any) -> ActivityIn:
    """A valid outbound call (override any field)."""
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "kind": "call",
        "prospect_crm_id": prospect,
        "occurred_at": datetime(2026, 3, 2, 15, 0, tzinfo=UTC) + timedelta(minutes=n),
        "direction": "outbound",
        "duration_seconds": 60 + n,
        "outcome": "Connected",
    }
    values.update(overrides)
    return ActivityIn(**values)


def an_email(prospect: str, n: int = 0, **overrides: Any) -> ActivityIn:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "kind": "email",
        "prospect_crm_id": prospect,
        "occurred_at": datetime(2026, 3, 2, 16, 0, tzinfo=UTC) + timedelta(minutes=n),
        "direction": "outbound",
        "subject": f"Follow-up {n}",
    }
    values.update(overrides)
    return ActivityIn(**values)


@dataclass
class Sandbox:
    org: SandboxOrg
    server: SandboxServer
    token: str
    instance_url: str

    def contact_ids(self, count: int, start: int = 0) -> list[str]:
        """Ids of contacts that exist in the org."""
        return [self.org.contacts.ids.id_for(i) for i in range(start, start + count)]

    def missing_contact_id(self) -> str:
        """A well-formed Contact id that no record has."""
        return self.org.contacts.ids.id_for(self.org.contacts.generated_count + 50_000)

    def crm(self, *, max_attempts: int = 6) -> SalesforceAdapter:
        """A fresh adapter (its own call counter) that never really sleeps between retries."""
        session = SalesforceSession(
            StaticTokenSource(self.instance_url, self.token),
            customer="acme",
            ca_bundle=str(self.server.ca_path),
            max_attempts=max_attempts,
            sleep=lambda _seconds: None,
        )
        return SalesforceAdapter(session)

    def tasks_by_external_id(self, activity_ids: Iterable[str]) -> Counter[str]:
        """How many Tasks the org holds for each of `activity_ids`."""
        wanted = set(activity_ids)
        return Counter(
            str(row[EXT_FIELD])
            for row in self.org.tasks.iter_rows()
            if row.get(EXT_FIELD) in wanted
        )

    def task(self, activity_id: str) -> dict[str, Any]:
        return next(r for r in self.org.tasks.iter_rows() if r.get(EXT_FIELD) == activity_id)

    def upsert_calls(self) -> int:
        """Composite upsert requests the org received since the log was last cleared."""
        return sum(
            1 for e in self.org.request_log if e.method == "PATCH" and e.path.endswith(UPSERT_PATH)
        )


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    org = SandboxOrg.seeded(SeedConfig(seed=7, big_report_rows=1200))
    private_pem, certificate = generate_key_pair("connector-push-tests")
    org.register_app(
        ConnectedApp(
            client_id=CLIENT_ID,
            jwt_certificate_pem=certificate,
            pre_authorized_usernames=[USERNAME],
        )
    )
    server = SandboxServer(org, state_dir=tmp_path_factory.mktemp("sandbox"), port=0)
    server.start()
    token = fetch_jwt_token(
        login_url=server.base_url,
        client_id=CLIENT_ID,
        username=USERNAME,
        private_key_pem=private_pem,
        ca_bundle=str(server.ca_path),
    )
    yield Sandbox(org, server, token.access_token, token.instance_url)
    server.stop()


@pytest.fixture
def box(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The shared sandbox with no faults and an empty request log."""
    sandbox.org.clear_faults()
    sandbox.org.clear_request_log()
    yield sandbox
    sandbox.org.clear_faults()
