"""15- and 18-character Salesforce ids: the connector's conversion agrees with the sandbox's."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.crm.salesforce.ids import canonical_id, to_15, to_18
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


@pytest.mark.parametrize(
    ("given_id", "expected"),
    [
        ("0035g00000AbCdEAAV", "0035g00000AbCdE"),  # as Salesforce writes it
        ("0035G00000ABCDEAAV", "0035g00000AbCdE"),  # typed in upper case
        ("0035g00000abcdeaav", "0035g00000AbCdE"),  # typed in lower case
        ("0035g00000abcdeAAA", "0035g00000abcde"),
        ("0035G00000ABCDEQA5", "0035G00000ABCDE"),
        ("0035g00000abcdeqa5", "0035G00000ABCDE"),
        ("001XX000003DGB2IAG", "001Xx000003DGb2"),
        ("00q5G00000ZZZZZeak", "00Q5g00000zZzZz"),
        ("0035g00000AbCdE", "0035g00000AbCdE"),  # 15 characters are case-sensitive as given
        ("003000000000001AAA", "003000000000001"),
        ("0035g00000abcde999", "0035g00000abcde999"),  # 6-9 are no checksum characters
        ("00300000000000100B", "00300000000000100B"),  # a digit flagged as upper case
        ("not an id at all!!", "not an id at all!!"),
        ("", ""),
    ],
)
def test_the_15_character_id_is_recovered_from_an_18_character_id_in_any_case(
    given_id: str, expected: str
) -> None:
    assert to_15(given_id) == expected


@given(ID_15)
def test_every_spelling_of_an_18_character_id_has_one_canonical_form(record_id: str) -> None:
    long_id = to_18(record_id)
    assert canonical_id(long_id.upper()) == canonical_id(long_id.lower()) == long_id
    assert canonical_id(record_id) == long_id
    assert to_15(long_id.swapcase()) == record_id
