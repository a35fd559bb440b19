"""Citizen ID numbers, mobile numbers and pinyin as people type them into forms and spreadsheets."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from taizhang.core.chinese import normalise_phone, parse_citizen_id, pinyin_full, pinyin_initials
from taizhang.members.tests.factories import (
    REGION_CODES,
    citizen_id,
    gb11643_check_digit,
    with_wrong_check_digit,
)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def id_ending_in_x() -> str:
    for n in range(1000):
        number = citizen_id(datetime.date(1975, 8, 9), "F", region="110105", sequence=n)
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives an X check digit")


def error_code(raw) -> str:
    with pytest.raises(ValidationError) as exc:
        parse_citizen_id(raw)
    return exc.value.code


# --- the test helper itself agrees with python-stdnum --------------------------------------------


@pytest.mark.parametrize("number", ["360426199101010071", "11010519491231002X"])
def test_check_digit_helper_agrees_with_published_examples(number):
    assert gb11643_check_digit(number[:17]) == number[17]
    assert ric.calc_check_digit(number) == number[17]


# --- citizen ID numbers --------------------------------------------------------------------------


def test_valid_id_derives_birth_date_and_gender():
    man = parse_citizen_id(citizen_id(datetime.date(1963, 11, 2), "M"))
    woman = parse_citizen_id(citizen_id(datetime.date(2001, 2, 28), "F"))
    assert (man.birth_date, man.gender) == (datetime.date(1963, 11, 2), "M")
    assert (woman.birth_date, woman.gender) == (datetime.date(2001, 2, 28), "F")


def test_lower_case_x_is_accepted_and_stored_upper_case():
    number = id_ending_in_x()
    assert parse_citizen_id(number.lower()).number == number


def test_full_width_digits_are_accepted():
    number = citizen_id(datetime.date(1980, 1, 1), "M")
    assert parse_citizen_id(fullwidth(number)).number == number


def test_full_width_lower_case_x_is_accepted():
    number = id_ending_in_x()
    assert parse_citizen_id(fullwidth(number.lower())).number == number


def test_surrounding_and_inner_spaces_are_ignored():
    number = citizen_id(datetime.date(1980, 1, 1), "F")
    spaced = f"  {number[:6]} {number[6:14]}\u3000{number[14:]} \t"
    assert parse_citizen_id(spaced).number == number


def test_wrong_check_digit_is_refused():
    assert error_code(with_wrong_check_digit(citizen_id())) == "checksum"


@pytest.mark.parametrize("cut", [17, 15, 19])
def test_wrong_length_is_refused(cut):
    number = citizen_id()
    raw = (number + "1")[:cut] if cut > 18 else number[:cut]
    assert error_code(raw) == "length"


@pytest.mark.parametrize("raw", ["1101011980A5170011", "X10101198005170011", "11010119800517001Y"])
def test_letters_are_refused(raw):
    assert error_code(raw) == "format"


def test_empty_is_refused():
    assert error_code("   ") == "required"


@pytest.mark.parametrize("birth", ["19800230", "19811301", "19800431", "19000229"])
def test_impossible_birth_date_is_refused_even_with_a_right_check_digit(birth):
    first17 = f"110101{birth}001"
    assert error_code(first17 + gb11643_check_digit(first17)) == "component"


def test_region_code_that_does_not_exist_is_refused():
    first17 = "999999198005170011"[:17]
    assert error_code(first17 + gb11643_check_digit(first17)) == "component"


def test_birth_date_in_the_future_is_refused():
    future = datetime.date.today() + datetime.timedelta(days=400)
    assert error_code(citizen_id(future, "M")) == "future"


id_inputs = st.builds(
    lambda born, gender, region, seq: citizen_id(born, gender, region=region, sequence=seq),
    st.dates(min_value=datetime.date(1920, 1, 1), max_value=datetime.date.today()),
    st.sampled_from(["M", "F"]),
    st.sampled_from(REGION_CODES),
    st.integers(min_value=0, max_value=499),
)


@given(number=id_inputs, lower=st.booleans(), wide=st.booleans(), pad=st.sampled_from(["", " ", "  \t"]))
def test_any_valid_id_round_trips_and_derives_its_birth_date(number, lower, wide, pad):
    typed = number.lower() if lower else number
    typed = fullwidth(typed) if wide else typed
    parsed = parse_citizen_id(pad + typed + pad)
    assert parsed.number == number
    assert parsed.birth_date == datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert parsed.gender == ("M" if int(number[16]) % 2 else "F")
    assert parse_citizen_id(parsed.number) == parsed  # the stored form parses to itself


# --- mobile numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        " 13800138000 ",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+8613800138000",
        "0086 13800138000",
        "0086-138-0013-8000",
        "86 13800138000",
        "(+86) 138 0013 8000",
        "１３８００１３８０００",
    ],
)
def test_phone_formats_people_type_are_normalised(raw):
    assert normalise_phone(raw) == "13800138000"


def test_empty_phone_is_allowed_and_stays_empty():
    assert normalise_phone("") == ""
    assert normalise_phone("  ") == ""


@pytest.mark.parametrize(
    "raw",
    ["1380013800", "138001380001", "23800138000", "+86 2380013800", "010-12345678", "1380013800a", "+1 13800138000"],
)
def test_invalid_phone_is_refused(raw):
    with pytest.raises(ValidationError) as exc:
        normalise_phone(raw)
    assert exc.value.code == "phone"


# --- pinyin --------------------------------------------------------------------------------------


def test_pinyin_full_and_initials_for_search():
    assert pinyin_full("张伟明") == "zhangweiming"
    assert pinyin_initials("张伟明") == "zwm"


def test_pinyin_of_latin_letters_is_lower_case():
    assert pinyin_full("王A") == "wanga"
    assert pinyin_initials("王A") == "wa"
