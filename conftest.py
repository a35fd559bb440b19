"""Shared pytest fixtures. The fixed cast (ARCHITECTURE.md rule 11) lives here.

``cast`` — one committee and the people every scoping test reasons about. Use it in view, API and
browser tests so everyone proves the same matrix against the same people::

    cast.committee          the committee (founded 2017-09-01)
    cast.east / cast.central / cast.west     its three branches (东部/中部/西部片区支部)

    users (all log in with cast.password == TEST_PASSWORD):
    cast.admin              "admin"          committee_admin, whole committee   -> view/edit/reveal all
    cast.east_secretary     "east_secretary" branch_secretary of east           -> view/edit/reveal east
    cast.west_secretary     "west_secretary" branch_secretary of west           -> view/edit/reveal west
    cast.study              "study"          study_member, whole committee      -> view all, no edit/reveal
    cast.plain_member       "plain_member"   role member; linked to cast.me    -> view/reveal own record only
    cast.outsider           "outsider"       no roles at all                    -> nothing
    cast.auditor            "auditor"        audit_admin                        -> audit log only, no people
    cast.sysadmin           "sysadmin"       system_admin                       -> accounts/organisation, no people
    cast.secadmin           "secadmin"       security_admin                     -> roles/security policy, no people

    members (registered by admin through member_register on 2018-03-01, all active):
    cast.me                 张伟明, east, the plain member's own record (Member.user = plain_member)
    cast.east_members       [张伟明 (= cast.me), 李秀英 (female, born 1958: 60+), 王建国]
    cast.west_members       [赵丽华 (female), 陈刚]
    cast.central_members    [刘洋]
    cast.members            all six, east then west then central
    cast.members_by_name    {"张伟明": <Member>, ...}
"""

import datetime
from types import SimpleNamespace

import pytest

from taizhang.members.models import Member
from taizhang.members.tests.factories import TEST_PASSWORD, UserFactory, grant, make_committee, make_member

# --- the fixed cast ------------------------------------------------------------------------------


@pytest.fixture
def cast(db):
    committee = make_committee(name="北京市流动党员党委")
    east, central, west = committee.east, committee.central, committee.west

    admin = UserFactory(username="admin", display_name="党委书记")
    east_secretary = UserFactory(username="east_secretary", display_name="东部支部书记")
    west_secretary = UserFactory(username="west_secretary", display_name="西部支部书记")
    study = UserFactory(username="study", display_name="学习委员")
    plain_member = UserFactory(username="plain_member", display_name="张伟明")
    outsider = UserFactory(username="outsider", display_name="外人")
    auditor = UserFactory(username="auditor", display_name="审计管理员")
    sysadmin = UserFactory(username="sysadmin", display_name="系统管理员")
    secadmin = UserFactory(username="secadmin", display_name="安全管理员")

    grant(admin, "committee_admin", committee)
    grant(east_secretary, "branch_secretary", committee, east)
    grant(west_secretary, "branch_secretary", committee, west)
    grant(study, "study_member", committee)
    grant(plain_member, "member", committee)
    grant(auditor, "audit_admin", committee)
    grant(sysadmin, "system_admin", committee)
    grant(secadmin, "security_admin", committee)

    def register(branch, name, birth_date=datetime.date(1980, 5, 17), gender="M"):
        return make_member(admin, branch, name=name, birth_date=birth_date, gender=gender)

    me = register(east, "张伟明", datetime.date(1985, 4, 12))
    east_members = [
        me,
        register(east, "李秀英", datetime.date(1958, 2, 3), "F"),
        register(east, "王建国", datetime.date(1972, 10, 1)),
    ]
    west_members = [
        register(west, "赵丽华", datetime.date(1990, 6, 30), "F"),
        register(west, "陈刚", datetime.date(1966, 12, 24)),
    ]
    central_members = [register(central, "刘洋", datetime.date(1995, 1, 15))]

    Member.objects.filter(pk=me.pk).update(user=plain_member)
    me.refresh_from_db()

    members = east_members + west_members + central_members
    return SimpleNamespace(
        committee=committee,
        east=east,
        central=central,
        west=west,
        password=TEST_PASSWORD,
        admin=admin,
        east_secretary=east_secretary,
        west_secretary=west_secretary,
        study=study,
        plain_member=plain_member,
        outsider=outsider,
        auditor=auditor,
        sysadmin=sysadmin,
        secadmin=secadmin,
        me=me,
        east_members=east_members,
        west_members=west_members,
        central_members=central_members,
        members=members,
        members_by_name={m.name: m for m in members},
    )
