"""15- and 18-character Salesforce ids: the connector's conversion agrees with the sandbox's."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.crm.salesforce.ids import to_18
from connector.sandbox import ids as sandbox_ids

ID_15 = st.text(alphabet=string.ascii_letters + string.digits, min_size=15, max_size=15)


@given(ID_15)
def test_the_connector_and_the_sandbox_compute_the_same_suffix(record_id: str) -> None:
    assert to_18(record_id) == sandbox_ids.to_18(record_id)
    assert to_18(to_18(record_id)) == to_18(record_id)


@pytest.mark.parametrize(
    ("given_id", "expected"),
    [
        ("001000000000000", "001000000000000AAA"),
        ("0035g00000bbbbb", "0035g00000bbbbbAAA"),
        ("0035G00000BBBBB", "0035G00000BBBBBQA5"),
        ("not an id", "not an id"),
        ("0035g00000bbbbbAAA", "0035g00000bbbbbAAA"),
    ],
)
def test_known_conversions(given_id: str, expected: str) -> None:
    assert to_18(given_id) == expected
