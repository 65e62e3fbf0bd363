"""Salesforce ids: checksum suffix, 15/18 conversion, and ordered sequences."""

from __future__ import annotations

import pytest

from connector.sandbox.ids import IdSequence, checksum, is_valid_id, to_18


@pytest.mark.parametrize(
    ("id15", "suffix"),
    [
        ("003RO0000035WQg", "YAM"),  # documented example record ids
        ("001RO000001abcd", "YAA"),
        ("000000000000000", "AAA"),
        ("AAAAAAAAAAAAAAA", "555"),
        ("aaaaaaaaaaaaaaa", "AAA"),
        ("A0000B0000C0000", "BBB"),
        ("0000A00000000Z0", "QAI"),
    ],
)
def test_checksum_marks_uppercase_positions_per_five_character_chunk(
    id15: str, suffix: str
) -> None:
    assert checksum(id15) == suffix


def test_to_18_adds_the_suffix_and_accepts_either_case_of_it() -> None:
    assert to_18("003RO0000035WQg") == "003RO0000035WQgYAM"
    assert to_18("003RO0000035WQgyam") == "003RO0000035WQgYAM"


@pytest.mark.parametrize("bad", ["003RO0000035WQgAAA", "short", "003RO0000035WQ!", ""])
def test_given_a_malformed_or_tampered_id_then_it_is_not_valid(bad: str) -> None:
    assert not is_valid_id(bad)


def test_sequence_ids_sort_as_strings_in_creation_order_and_round_trip() -> None:
    sequence = IdSequence("003")
    numbers = [0, 1, 9, 10, 35, 36, 61, 62, 3843, 3844, 999_999, 1_000_000]
    ids = [sequence.id_for(n) for n in numbers]
    assert ids == sorted(ids)
    assert all(len(i) == 18 and i.startswith("003") and is_valid_id(i) for i in ids)
    assert [sequence.index_of(i) for i in ids] == numbers


def test_index_of_refuses_ids_of_another_prefix() -> None:
    assert IdSequence("003").index_of(IdSequence("001").id_for(5)) is None
