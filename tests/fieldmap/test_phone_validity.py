"""The compiled validity tests give `phonenumbers`' own answers."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.fieldmap.phone_validity import code_validity, national_validity

#: Regions with plans of their own, some with mobile patterns apart from fixed lines (GB, DE).
REGIONS = ("US", "CA", "GB", "DE", "FR", "JP", "BR", "AU", "IN", "JM")
#: Calling codes several regions share, where the library first picks the number's region
#: (by leading digits or by validity), and codes of a single region.
CODES = (1, 7, 44, 61, 262, 49, 33)


def library_valid_for_region(national: str, region: str) -> bool:
    code = phonenumbers.country_code_for_region(region)
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    return bool(phonenumbers.is_valid_number_for_region(number, region))


def library_valid(national: str, code: int) -> bool:
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    return bool(phonenumbers.is_valid_number(number))


def national_numbers(length: int) -> st.SearchStrategy[str]:
    return st.from_regex(rf"[1-9][0-9]{{{length - 1}}}", fullmatch=True)


def test_every_north_american_area_code_gets_the_librarys_answer() -> None:
    """Each of the 800 area codes, with exchanges and lines drawn at random (the same draw
    each run): about a third of the numbers are valid, the rest not."""
    draw = random.Random(20261204)
    valid = code_validity(1, 10)
    answers = []
    for area in range(200, 1000):
        for _ in range(25):
            national = f"{area}{draw.randrange(10**7):07d}"
            answer = valid(national)
            assert answer == library_valid(national, 1), national
            answers.append(answer)
    assert 0.1 < sum(answers) / len(answers) < 0.9  # both answers were tested


def test_every_regions_example_numbers_and_their_neighbours_get_the_librarys_answer() -> None:
    """For every region the library knows: each type's example number (valid) and numbers
    that differ from it in the last digits (valid or not), at each length they come in."""
    draw = random.Random(20261204)
    answers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in range(11):
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is None or example.country_code != phonenumbers.country_code_for_region(
                region
            ):
                continue
            national = phonenumbers.national_significant_number(example)
            if national.startswith("0"):
                continue  # written with a leading zero: not a number this module reads
            valid = national_validity(region, len(national))
            for tail in range(4):
                changed = national[: len(national) - tail] + "".join(
                    draw.choice("0123456789") for _ in range(tail)
                )
                answer = valid(changed)
                assert answer == library_valid_for_region(changed, region), (region, changed)
                answers.append(answer)
    assert 0.5 < sum(answers) / len(answers) < 1  # mostly valid, some not


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(REGIONS), st.integers(min_value=6, max_value=12).flatmap(national_numbers))
def test_a_regions_validity_is_the_librarys(region: str, national: str) -> None:
    valid = national_validity(region, len(national))
    assert valid(national) == library_valid_for_region(national, region)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(CODES), st.integers(min_value=6, max_value=12).flatmap(national_numbers))
def test_a_shared_codes_validity_is_the_librarys(code: int, national: str) -> None:
    assert code_validity(code, len(national))(national) == library_valid(national, code)


@pytest.mark.parametrize(
    ("national", "code", "expected"),
    [
        ("2125550100", 1, True),  # New York
        ("4165550199", 1, True),  # Toronto: Canada, after the United States said no
        ("8762345678", 1, True),  # Jamaica, picked by its leading digits
        ("5551234567", 1, False),  # no such area code
        ("7400123456", 44, True),  # a United Kingdom mobile
        ("7624123456", 44, True),  # the Isle of Man, by its leading digits
        ("2079460958", 44, True),  # London
    ],
)
def test_known_numbers(national: str, code: int, expected: bool) -> None:
    assert code_validity(code, len(national))(national) is expected
    assert library_valid(national, code) is expected


def test_a_number_of_another_length_is_not_valid() -> None:
    valid = national_validity("US", 10)
    assert valid("2125550100")
    assert not valid("212555010")
    assert not valid("21255501000")


def test_a_region_without_metadata_is_refused() -> None:
    with pytest.raises(ValueError, match="no phone-number metadata for region 'ZZ'"):
        national_validity("ZZ", 10)
