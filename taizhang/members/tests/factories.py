"""Shared test factories: committees with their branches, users, roles, citizen IDs and members.

Members are always created through ``member_register`` (the real service), so every member in a test
has an encrypted ID number, a blind index, a first flow event and an audit entry, exactly as in use.

    committee = make_committee()                 # 东部/中部/西部 branches and the Beijing districts
    east = branch_of(committee, "east")
    user = UserFactory()                         # password: TEST_PASSWORD
    grant(user, "branch_secretary", committee, east)
    member = make_member(admin, east, birth_date=date(1960, 3, 1), gender="F")
"""

import datetime
import functools
import itertools

import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from taizhang.accounts.models import RoleAssignment, User
from taizhang.members.models import Category, MembershipType
from taizhang.members.services import member_register
from taizhang.organisation.models import DEFAULT_BRANCHES, Branch, Committee, District

# Satisfies the password policy even for admin posts (12+ characters, 4 classes).
TEST_PASSWORD = "Taizhang-Test-2024!"

# Weights of GB 11643-1999 (ISO 7064 MOD 11-2) for the first 17 digits.
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"  # remainder -> check character

# Region codes that exist for every birth year (python-stdnum checks the region against the year).
REGION_CODES = ["110101", "110105", "110108", "310101"]

# The day make_member registers members by default (after the committee was founded in 2017-09).
REGISTERED_ON = datetime.date(2018, 3, 1)

_sequence = itertools.count(1)

NAMES = "张伟明 李秀英 王建国 赵丽华 陈刚 刘洋 杨帆 黄海涛 周敏 吴磊 徐静 孙志强 马丽 朱晓东 胡军 郭芳 何勇 高红梅 林峰 罗娟".split()


@functools.lru_cache(maxsize=1)
def test_password_hash() -> str:
    """The hash of TEST_PASSWORD, computed once (Argon2 is deliberately slow)."""
    return make_password(TEST_PASSWORD)


def gb11643_check_digit(first17: str) -> str:
    """The check character (0-9 or X) for the first 17 digits of a citizen ID number."""
    assert len(first17) == 17 and first17.isdigit(), first17
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def citizen_id(
    birth_date: datetime.date = datetime.date(1980, 5, 17),
    gender: str = "M",
    *,
    region: str | None = None,
    sequence: int | None = None,
) -> str:
    """A valid 18-character citizen ID number for this birth date and gender ("M"/"F").

    Each call without ``sequence`` gives a different number (the 3-digit order code varies).
    """
    n = next(_sequence) if sequence is None else sequence
    region = region or REGION_CODES[(n // 500) % len(REGION_CODES)]
    order = (n * 2) % 1000  # even: the 17th digit (last of the order code) is even for women
    if gender == "M":
        order += 1  # odd for men
    first17 = f"{region}{birth_date:%Y%m%d}{order:03d}"
    return first17 + gb11643_check_digit(first17)


def with_wrong_check_digit(number: str) -> str:
    right = number[-1]
    wrong = next(c for c in "0123456789X" if c != right)
    return number[:-1] + wrong


def phone_number() -> str:
    """A unique valid mainland mobile number."""
    return f"139{next(_sequence):08d}"


class CommitteeFactory(DjangoModelFactory):
    class Meta:
        model = Committee

    name = factory.Sequence(lambda n: f"测试流动党员党委{n}")
    founded_on = datetime.date(2017, 9, 1)


def make_committee(**kwargs) -> Committee:
    """A committee with the default east/central/west branches and their Beijing districts.

    The branches are also set as attributes ``committee.east``, ``.central`` and ``.west``.
    """
    committee = CommitteeFactory(**kwargs)
    for order, (code, name, districts) in enumerate(DEFAULT_BRANCHES):
        branch = Branch.objects.create(committee=committee, code=code, name=name, sort_order=order)
        District.objects.bulk_create(
            District(committee=committee, name=d, branch=branch, sort_order=i) for i, d in enumerate(districts)
        )
        setattr(committee, code, branch)
    return committee


def branch_of(committee: Committee, code: str) -> Branch:
    return Branch.objects.get(committee=committee, code=code)


class UserFactory(DjangoModelFactory):
    """A login with no roles. Its password is TEST_PASSWORD."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda u: u.username)
    password = factory.LazyFunction(test_password_hash)
    is_active = True


def grant(user: User, role: str, committee: Committee, branch: Branch | None = None) -> RoleAssignment:
    """Give ``user`` a role directly (no audit entry) and drop the cached roles on the instance."""
    assignment = RoleAssignment.objects.create(user=user, role=role, committee=committee, branch=branch)
    user.__dict__.pop("_taizhang_roles", None)
    return assignment


def member_data(
    branch: Branch,
    *,
    birth_date: datetime.date = datetime.date(1980, 5, 17),
    gender: str = "M",
    **overrides,
) -> dict:
    """Valid form data for ``member_register`` / ``member_update``: a full member of ``branch``."""
    join = datetime.date(birth_date.year + 25, 7, 1)
    data = {
        "name": NAMES[next(_sequence) % len(NAMES)],
        "id_number": citizen_id(birth_date, gender),
        "phone": phone_number(),
        "gender": gender,
        "birth_date": birth_date,
        "membership_type": MembershipType.FULL,
        "join_date": join,
        "full_membership_date": join.replace(year=join.year + 1),
        "category": Category.WORKING,
        "branch": branch,
        "district": branch.districts.order_by("sort_order").first(),
    }
    data.update(overrides)
    return data


def make_member(
    actor: User,
    branch: Branch,
    *,
    registered_on: datetime.date = REGISTERED_ON,
    reported: bool = True,
    birth_date: datetime.date = datetime.date(1980, 5, 17),
    gender: str = "M",
    **overrides,
):
    """Register a member in ``branch`` through the real service (``actor`` needs EDIT there)."""
    data = member_data(branch, birth_date=birth_date, gender=gender, **overrides)
    return member_register(actor=actor, data=data, registered_on=registered_on, reported=reported)


def update_data(member, **overrides) -> dict:
    """The member's current values as ``member_update`` data, with ``overrides`` applied."""
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "phone": member.phone,
        "gender": member.gender,
        "birth_date": member.birth_date,
        "membership_type": member.membership_type,
        "join_date": member.join_date,
        "full_membership_date": member.full_membership_date,
        "category": member.category,
        "branch": member.branch,
        "district": member.district,
        "party_group": member.party_group,
    }
    data.update(overrides)
    return data
