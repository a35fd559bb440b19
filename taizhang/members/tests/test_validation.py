"""What the ledger refuses when a member is registered or edited, and the values it derives."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from taizhang.core.errors import ConcurrentEditError
from taizhang.members.models import EventKind, Member, MembershipType
from taizhang.members.selectors import filter_age_band
from taizhang.members.services import flow_record_event, member_register, member_update, validate_member_data
from taizhang.members.tests.factories import (
    REGISTERED_ON,
    citizen_id,
    make_committee,
    member_data,
    update_data,
    with_wrong_check_digit,
)
from taizhang.organisation.models import PartyGroup

pytestmark = pytest.mark.django_db

BORN = datetime.date(1980, 5, 17)


def today():
    return timezone.localdate()


def shift_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def errors_of(data) -> dict:
    with pytest.raises(ValidationError) as exc:
        validate_member_data(data)
    return exc.value.message_dict


def register(cast, **overrides):
    return member_register(actor=cast.admin, data=member_data(cast.east, **overrides), registered_on=REGISTERED_ON)


def register_errors(cast, **overrides) -> dict:
    with pytest.raises(ValidationError) as exc:
        register(cast, **overrides)
    return exc.value.message_dict


# --- valid data ----------------------------------------------------------------------------------


def test_valid_data_is_normalised(cast):
    number = citizen_id(BORN, "F")
    cleaned = validate_member_data(
        member_data(cast.east, birth_date=BORN, gender="F", id_number=f" {number.lower()} ", phone="+86 138-0013-8000")
    )
    assert cleaned["id_number"] == number
    assert cleaned["phone"] == "13800138000"
    assert (cleaned["birth_date"], cleaned["gender"]) == (BORN, "F")


def test_birth_date_and_gender_may_be_left_empty_and_come_from_the_id(cast):
    cleaned = validate_member_data(
        member_data(cast.east, birth_date=BORN, gender="M") | {"birth_date": None, "gender": ""}
    )
    assert (cleaned["birth_date"], cleaned["gender"]) == (BORN, "M")


def test_registered_member_keeps_the_normalised_numbers(cast):
    number = citizen_id(BORN, "M")
    member = register(cast, id_number=f"{number[:6]} {number[6:]}", phone="0086 139 0000 1111")
    member = Member.objects.get(pk=member.pk)
    assert member.id_number == number
    assert member.phone == "13900001111"
    assert member.name_pinyin and member.name_initials


# --- personal numbers ----------------------------------------------------------------------------


def test_wrong_check_digit_is_refused_on_the_id_number_field(cast):
    assert "id_number" in register_errors(cast, id_number=with_wrong_check_digit(citizen_id(BORN, "M")))


def test_birth_date_disagreeing_with_the_id_names_the_birth_date_field(cast):
    errors = errors_of(member_data(cast.east, birth_date=BORN) | {"birth_date": datetime.date(1980, 5, 18)})
    assert list(errors) == ["birth_date"]
    assert "1980-05-18" in errors["birth_date"][0] and "1980-05-17" in errors["birth_date"][0]


def test_gender_disagreeing_with_the_id_names_the_gender_field(cast):
    errors = errors_of(member_data(cast.east, gender="M") | {"gender": "F"})
    assert list(errors) == ["gender"]


@pytest.mark.parametrize("phone", ["1380013800", "23800138000", "138001380001", "电话"])
def test_invalid_phone_is_refused(cast, phone):
    assert list(register_errors(cast, phone=phone)) == ["phone"]


def test_several_errors_are_reported_together(cast):
    errors = errors_of(
        member_data(cast.east, gender="M")
        | {"gender": "F", "phone": "123", "join_date": today() + datetime.timedelta(days=1)}
    )
    assert {"gender", "phone", "join_date"} <= set(errors)


# --- membership dates ----------------------------------------------------------------------------


def test_join_date_in_the_future_is_refused(cast):
    errors = errors_of(
        member_data(
            cast.east,
            join_date=today() + datetime.timedelta(days=1),
            full_membership_date=None,
            membership_type=MembershipType.PROBATIONARY,
        )
    )
    assert list(errors) == ["join_date"]


def test_member_must_be_at_least_18_on_the_join_date(cast):
    day_before_18 = datetime.date(1998, 5, 16)
    errors = errors_of(
        member_data(
            cast.east,
            birth_date=datetime.date(1980, 5, 17),
            join_date=day_before_18,
            full_membership_date=day_before_18.replace(year=1999),
        )
    )
    assert list(errors) == ["join_date"]
    assert "17" in errors["join_date"][0]


def test_joining_on_the_18th_birthday_is_accepted(cast):
    cleaned = validate_member_data(
        member_data(
            cast.east,
            birth_date=datetime.date(1980, 5, 17),
            join_date=datetime.date(1998, 5, 17),
            full_membership_date=datetime.date(1999, 5, 17),
        )
    )
    assert cleaned["join_date"] == datetime.date(1998, 5, 17) and cleaned["birth_date"] == datetime.date(1980, 5, 17)


def test_full_membership_date_before_join_date_is_refused(cast):
    errors = errors_of(
        member_data(cast.east, join_date=datetime.date(2010, 7, 1), full_membership_date=datetime.date(2010, 6, 30))
    )
    assert list(errors) == ["full_membership_date"]


def test_full_membership_more_than_two_years_after_joining_is_refused(cast):
    errors = errors_of(
        member_data(cast.east, join_date=datetime.date(2010, 7, 1), full_membership_date=datetime.date(2012, 7, 2))
    )
    assert list(errors) == ["full_membership_date"]


def test_full_membership_exactly_two_years_after_joining_is_accepted(cast):
    """Probation of one year, extended once by one year."""
    cleaned = validate_member_data(
        member_data(cast.east, join_date=datetime.date(2010, 7, 1), full_membership_date=datetime.date(2012, 7, 1))
    )
    assert cleaned["full_membership_date"] == datetime.date(2012, 7, 1)


def test_full_membership_date_in_the_future_is_refused(cast):
    join = today() - datetime.timedelta(days=200)
    errors = errors_of(
        member_data(cast.east, join_date=join, full_membership_date=today() + datetime.timedelta(days=1))
    )
    assert list(errors) == ["full_membership_date"]


def test_full_member_needs_a_full_membership_date(cast):
    errors = errors_of(member_data(cast.east, membership_type=MembershipType.FULL, full_membership_date=None))
    assert list(errors) == ["full_membership_date"]


def test_probationary_member_has_no_full_membership_date(cast):
    errors = errors_of(
        member_data(
            cast.east,
            membership_type=MembershipType.PROBATIONARY,
            join_date=datetime.date(2010, 7, 1),
            full_membership_date=datetime.date(2011, 7, 1),
        )
    )
    assert list(errors) == ["full_membership_date"]


def test_probationary_member_without_full_date_is_accepted(cast):
    member = register(
        cast,
        membership_type=MembershipType.PROBATIONARY,
        join_date=today() - datetime.timedelta(days=100),
        full_membership_date=None,
    )
    assert member.membership_type == MembershipType.PROBATIONARY and member.party_age is None


# --- duplicates and organisation -----------------------------------------------------------------


def id_ending_in_x() -> str:
    for n in range(1000):
        number = citizen_id(datetime.date(1970, 3, 8), "F", sequence=n)
        if number.endswith("X"):
            return number
    raise AssertionError


@pytest.mark.parametrize(
    "typed",
    [str.lower, lambda n: f" {n[:6]} {n[6:14]} {n[14:].lower()} ", lambda n: "".join(chr(ord(c) + 0xFEE0) for c in n)],
)
def test_same_id_number_in_another_formatting_is_a_duplicate(cast, typed):
    number = id_ending_in_x()
    register(cast, id_number=number, birth_date=datetime.date(1970, 3, 8), gender="F")
    count = Member.objects.count()
    errors = register_errors(cast, id_number=typed(number), birth_date=datetime.date(1970, 3, 8), gender="F")
    assert list(errors) == ["id_number"]
    assert Member.objects.count() == count


def test_duplicate_id_number_is_refused_across_branches(cast):
    """One person, one record: registering a west member's ID in east is refused."""
    other = cast.west_members[0]
    errors = register_errors(cast, id_number=other.id_number, birth_date=other.birth_date, gender=other.gender)
    assert list(errors) == ["id_number"]


def test_changing_an_id_number_to_another_members_is_refused(cast):
    member, other = cast.east_members[2], cast.east_members[1]
    with pytest.raises(ValidationError) as exc:
        member_update(
            actor=cast.admin,
            member=member,
            expected_version=member.version,
            data=update_data(member, id_number=other.id_number, birth_date=other.birth_date, gender=other.gender),
        )
    assert list(exc.value.message_dict) == ["id_number"]


def test_party_group_from_another_branch_is_refused(cast):
    west_group = PartyGroup.objects.create(branch=cast.west, name="第一党小组")
    assert list(register_errors(cast, party_group=west_group)) == ["party_group"]


def test_party_group_of_the_members_branch_is_accepted(cast):
    east_group = PartyGroup.objects.create(branch=cast.east, name="第一党小组")
    assert register(cast, party_group=east_group).party_group == east_group


def test_district_of_another_committee_is_refused(cast):
    other = make_committee(name="另一个党委")
    assert list(register_errors(cast, district=other.districts.first())) == ["district"]


# --- editing -------------------------------------------------------------------------------------


def test_update_saves_changes_and_bumps_the_version(cast):
    member = cast.me
    updated = member_update(
        actor=cast.admin,
        member=member,
        expected_version=member.version,
        data=update_data(member, name="张卫民", phone="13700001111"),
    )
    assert updated.version == member.version + 1
    fresh = Member.objects.get(pk=member.pk)
    assert (fresh.name, fresh.phone, fresh.name_initials) == ("张卫民", "13700001111", "zwm")


def test_second_edit_with_the_same_version_is_refused_and_shows_the_first_change(cast):
    opened_by_admin = Member.objects.get(pk=cast.me.pk)
    opened_by_secretary = Member.objects.get(pk=cast.me.pk)
    version = opened_by_admin.version

    member_update(
        actor=cast.admin,
        member=opened_by_admin,
        expected_version=version,
        data=update_data(opened_by_admin, residence="朝阳区望京街道"),
    )
    with pytest.raises(ConcurrentEditError) as exc:
        member_update(
            actor=cast.east_secretary,
            member=opened_by_secretary,
            expected_version=version,
            data=update_data(opened_by_secretary, name="错误的名字"),
        )

    current = exc.value.current
    assert current.pk == cast.me.pk
    assert current.residence == "朝阳区望京街道"
    assert current.version == version + 1
    fresh = Member.objects.get(pk=cast.me.pk)
    assert (fresh.name, fresh.residence) == ("张伟明", "朝阳区望京街道")


def test_a_flow_event_that_changes_the_member_makes_an_open_edit_stale(cast):
    member = Member.objects.get(pk=cast.me.pk)
    flow_record_event(
        actor=cast.admin, member=member, kind=EventKind.MOVED_BRANCH, effective_date=today(), to_branch=cast.west
    )
    with pytest.raises(ConcurrentEditError):
        member_update(actor=cast.admin, member=member, expected_version=member.version, data=update_data(member))


def test_update_refuses_a_branch_change(cast):
    member = cast.me
    with pytest.raises(ValidationError) as exc:
        member_update(
            actor=cast.admin, member=member, expected_version=member.version, data=update_data(member, branch=cast.west)
        )
    assert list(exc.value.message_dict) == ["branch"]
    assert Member.objects.get(pk=member.pk).branch == cast.east


def test_update_applies_the_same_rules_as_registration(cast):
    member = cast.me
    with pytest.raises(ValidationError) as exc:
        member_update(
            actor=cast.admin,
            member=member,
            expected_version=member.version,
            data=update_data(member, birth_date=member.birth_date + datetime.timedelta(days=1)),
        )
    assert list(exc.value.message_dict) == ["birth_date"]


# --- derived values ------------------------------------------------------------------------------


def test_age_counts_whole_years_up_to_the_birthday():
    member = Member(birth_date=datetime.date(1960, 6, 15))
    assert member.age_on(datetime.date(2020, 6, 14)) == 59
    assert member.age_on(datetime.date(2020, 6, 15)) == 60
    assert member.age_on(datetime.date(2020, 12, 31)) == 60


def test_born_on_29_february_turns_a_year_older_on_1_march_in_common_years():
    member = Member(birth_date=datetime.date(1964, 2, 29))
    assert member.age_on(datetime.date(2024, 2, 28)) == 59
    assert member.age_on(datetime.date(2024, 2, 29)) == 60
    assert member.age_on(datetime.date(2025, 2, 28)) == 60
    assert member.age_on(datetime.date(2023, 2, 28)) == 58
    assert member.age_on(datetime.date(2023, 3, 1)) == 59


def test_elderly_from_the_60th_birthday():
    sixty_today = shift_years(today(), -60)
    sixty_tomorrow = sixty_today + datetime.timedelta(days=1)
    assert Member(birth_date=sixty_today).is_elderly
    assert Member(birth_date=sixty_today).age == 60
    assert not Member(birth_date=sixty_tomorrow).is_elderly
    assert Member(birth_date=sixty_tomorrow).age == 59


def test_elderly_age_is_a_setting(settings):
    settings.ELDERLY_AGE = 65
    assert not Member(birth_date=shift_years(today(), -64)).is_elderly
    assert Member(birth_date=shift_years(today(), -65)).is_elderly


def test_the_60_plus_filter_agrees_with_is_elderly_on_the_birthday(cast):
    sixty_today = shift_years(today(), -60)
    turns_60 = register(
        cast,
        birth_date=sixty_today,
        join_date=shift_years(sixty_today, 30),
        full_membership_date=shift_years(sixty_today, 31),
    )
    not_yet = register(
        cast,
        birth_date=sixty_today + datetime.timedelta(days=1),
        join_date=shift_years(sixty_today, 30),
        full_membership_date=shift_years(sixty_today, 31),
    )
    elderly = set(filter_age_band(Member.objects.all(), "60plus"))
    assert turns_60 in elderly and not_yet not in elderly
    assert {m for m in Member.objects.all() if m.is_elderly} == elderly


def test_party_age_counts_from_full_membership_with_the_correction():
    ten_years_ago = shift_years(today(), -10)
    member = Member(birth_date=BORN, full_membership_date=ten_years_ago)
    assert member.party_age == 10
    member.full_membership_date = ten_years_ago + datetime.timedelta(days=1)
    assert member.party_age == 9
    member.full_membership_date = ten_years_ago
    member.party_age_correction = 2
    assert member.party_age == 12
    member.party_age_correction = -3
    assert member.party_age == 7
    member.party_age_correction = -30
    assert member.party_age == 0


def test_probationary_member_has_no_party_age():
    assert Member(birth_date=BORN, full_membership_date=None, party_age_correction=5).party_age is None


@pytest.mark.parametrize("field", ["name", "membership_type", "join_date", "category"])
def test_required_fields_are_refused_by_name_when_missing(cast, field):
    data = member_data(cast.east, membership_type=MembershipType.PROBATIONARY, full_membership_date=None)
    data[field] = None if field == "join_date" else ""
    count = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        member_register(actor=cast.admin, data=data, registered_on=REGISTERED_ON)
    assert field in exc.value.message_dict  # not a misleading "duplicate ID number"
    assert Member.objects.count() == count
