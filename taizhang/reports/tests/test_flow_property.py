"""党员增减 and 党员构成 on random histories: the arithmetic always holds and agrees with the roster.

Random histories go through the real services (registration, moves of branch, leaving Beijing and
returning, lost contact and its restoration, suspension and restoration, transfer out and a new inflow,
death, and corrections of the latest event). For random periods:

* opening + Σ increase − Σ decrease = closing, for the committee (the operator, the committee admin) and
  for each branch secretary, and month by month;
* opening and closing are what ``manage.py roster --as-of`` prints (the total for the committee, the
  branch's line of ``by_branch`` for a branch secretary);
* the composition by any dimension adds up to the roster on that day, and the branch dimension's rows are
  the roster's ``by_branch``.
"""

import datetime
import io
import json

from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from taizhang.members.services import member_register
from taizhang.members.tests import test_projection as histories
from taizhang.members.tests.factories import UserFactory, grant, make_committee, member_data
from taizhang.reports.composition import DIMENSIONS, composition
from taizhang.reports.flow import flow_by_month, flow_report


def roster_json(day: datetime.date) -> dict:
    out = io.StringIO()
    call_command("roster", "--as-of", day.isoformat(), "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def balanced(report: dict) -> bool:
    return report["opening"] + sum(report["increase"].values()) - sum(report["decrease"].values()) == report["closing"]


class RandomFlows(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.committee = make_committee(name="增减测试党委", founded_on=histories.FOUNDED)
        cls.branches = [cls.committee.east, cls.committee.central, cls.committee.west]
        cls.admin = UserFactory(username="flow_admin")
        grant(cls.admin, "committee_admin", cls.committee)
        cls.secretaries = []
        for branch in cls.branches:
            secretary = UserFactory(username=f"flow_sec_{branch.code}")
            grant(secretary, "branch_secretary", cls.committee, branch)
            cls.secretaries.append((branch, secretary))

    apply = histories.RandomHistories.apply

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        registrations=st.lists(st.tuples(st.integers(0, 2000), st.booleans(), st.integers(0, 2)), min_size=3, max_size=3),
        steps=st.lists(histories.step, max_size=14),
        periods=st.lists(st.tuples(st.integers(0, 3500), st.integers(0, 1200)), min_size=1, max_size=3),
        by=st.sampled_from(list(DIMENSIONS)),
    )
    def test_opening_plus_in_minus_out_is_closing(self, registrations, steps, periods, by):
        today = timezone.localdate()
        members = []
        for i, (offset, reported, branch_index) in enumerate(registrations):
            data = member_data(self.branches[branch_index], name=f"增减{i}")
            members.append(member_register(actor=self.admin, data=data, reported=reported,
                                           registered_on=min(histories.FOUNDED + datetime.timedelta(days=offset), today)))
        for member_index, choice, gap, branch_index in steps:
            self.apply(members[member_index], choice, gap, branch_index)

        for offset, length in periods:
            start = min(histories.FOUNDED + datetime.timedelta(days=offset - 30), today)
            end = min(start + datetime.timedelta(days=length), today)
            before, after = roster_json(start - datetime.timedelta(days=1)), roster_json(end)
            for user in (None, self.admin):
                report = flow_report(user, start, end)
                assert balanced(report), (user, report)
                assert report["opening"] == before["total"] and report["closing"] == after["total"]
                months = flow_by_month(user, start, end)
                assert months[0]["opening"] == report["opening"] and months[-1]["closing"] == report["closing"]
                assert all(balanced(m) for m in months)
                assert sum(sum(m["increase"].values()) for m in months) == sum(report["increase"].values())
            for branch, secretary in self.secretaries:
                report = flow_report(secretary, start, end)
                assert balanced(report), (branch.name, report)
                assert report["opening"] == before["by_branch"].get(branch.name, 0)
                assert report["closing"] == after["by_branch"].get(branch.name, 0)
                assert all(balanced(m) for m in flow_by_month(secretary, start, end))

            table = composition(None, end, by=(by,))
            assert table.total == after["total"] == sum(table.row_totals.values())
            two_way = composition(self.admin, end, by=("branch", by) if by != "branch" else ("branch", "age_band"))
            assert two_way.total == after["total"]
            assert sum(two_way.counts.values()) == two_way.total == sum(two_way.column_totals.values())
            names = dict(two_way.rows)
            assert {names[k]: n for k, n in two_way.row_totals.items() if n} == after["by_branch"]
