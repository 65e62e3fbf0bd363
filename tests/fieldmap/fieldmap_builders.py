"""Builders for field-map tests: a valid map as text and as data, with known line numbers.

Imported by the test modules of this directory (pytest puts the directory on sys.path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
FIELD_MAPS = REPO / "field_maps"

# Line numbers matter: the loader tests point at them.
VALID_MAP = """\
customer: acme
crm:
  kind: salesforce
  login_url: https://login.salesforce.com
  auth: jwt
  username: integration@acme.com
source:
  report_folder: Call_Lists
  reports: [Enterprise_Contacts]
prospect:
  id: CONTACT_ID
  fields:
    first_name: FIRST_NAME
    last_name: {column: LAST_NAME, required: true}
    email: {column: EMAIL, transform: email}
    phone: {column: PHONE1, transform: phone, region: US}
    company: ACCOUNT.NAME
activities:
  object: Task
  external_id_field: Connector_Activity_Id__c
schedule:
  every: 15m
  jitter: 30s
"""


def valid_map_data() -> dict[str, Any]:
    """VALID_MAP as plain data, for tests that build maps by changing one key."""
    data = yaml.safe_load(VALID_MAP)
    assert isinstance(data, dict)
    return data
