"""The keyed change hash: equal values give equal digests, any difference another."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.store.rowhash import DIGEST_SIZE, customer_hash_key, row_hash

KEY = customer_hash_key("acme")
values = st.lists(st.none() | st.text(), min_size=1, max_size=6)


def test_equal_values_under_one_key_give_one_digest() -> None:
    assert row_hash(KEY, ("Ada", None)) == row_hash(KEY, ["Ada", None])
    assert len(row_hash(KEY, ("Ada",))) == 2 * DIGEST_SIZE


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("Ada", None), ("Ada", "")),  # empty is not absent
        (("ab", "c"), ("a", "bc")),  # no value runs into its neighbour
        (("Zoë",), ("Zoe",)),
        (("a", None), (None, "a")),
        (('a","b',), ("a", "b")),
    ],
)
def test_values_that_differ_give_digests_that_differ(
    left: tuple[str | None, ...], right: tuple[str | None, ...]
) -> None:
    assert row_hash(KEY, left) != row_hash(KEY, right)


def test_the_digest_depends_on_the_customers_key() -> None:
    assert customer_hash_key("acme") == customer_hash_key("acme")
    assert customer_hash_key("acme") != customer_hash_key("globex")
    row = ("Ada", "Lovelace")
    assert row_hash(customer_hash_key("acme"), row) != row_hash(customer_hash_key("globex"), row)


@given(values, values)
def test_two_value_lists_share_a_digest_only_when_equal(
    left: list[str | None], right: list[str | None]
) -> None:
    assert (row_hash(KEY, left) == row_hash(KEY, right)) == (left == right)
