"""Rules, caps, applicability, versions and entries computed from attendance."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from taizhang.activities.models import AttendanceStatus
from taizhang.activities.services import activity_cancel
from taizhang.members.models import Member
from taizhang.points import services
from taizhang.points.models import PointEntry, RuleAction
from taizhang.points.tests.helpers import DAY, absent, correct, leave, make_activity, present, rule, seed_rules, total

pytestmark = pytest.mark.django_db


def test_attendance_gives_points_with_reason_and_rule_version(cast):
    seed_rules(cast)
    activity = make_activity(cast.admin, cast.committee, title="集体学习：学习党章")
    present(cast, activity, cast.me)
    entry = PointEntry.objects.get(member=cast.me)
    assert entry.points == 1
    assert entry.rule == rule(cast, "参加组织生活")
    assert entry.day == DAY
    assert entry.reason == _("Attended %(day)s %(title)s") % {"day": "2026-06-12", "title": "集体学习：学习党章"}
    assert total(cast.me) == 1


def test_absent_collective_study_uses_the_specific_rule_and_leave_gives_nothing(cast):
    seed_rules(cast)
    study = make_activity(cast.admin, cast.committee)
    party_day = make_activity(cast.admin, cast.committee, type_name="主题党日", title="主题党日", day=DAY.replace(day=13))
    wang = cast.members_by_name["王建国"]
    absent(cast, study, wang)
    absent(cast, party_day, wang)
    leave(cast, make_activity(cast.admin, cast.committee, day=DAY.replace(day=14)), cast.me)
    assert sorted(PointEntry.objects.filter(member=wang).values_list("points", flat=True)) == [-3, -2]
    assert not PointEntry.objects.filter(member=cast.me).exists()


def test_non_org_life_type_gives_no_points_without_its_own_rule(cast):
    seed_rules(cast)
    visit = make_activity(cast.admin, cast.committee, type_name="参观红色教育基地/展览", title="参观")
    present(cast, visit, cast.me)
    assert total(cast.me) == 0


def test_seventy_plus_exempt_from_negative_rules_by_age_on_the_day(cast):
    seed_rules(cast)
    old = cast.members_by_name["李秀英"]  # born 1958-02-03
    Member.objects.filter(pk=old.pk).update(birth_date=datetime.date(1956, 6, 20))  # 69 on 2026-06-12, 70 on 06-20
    before = make_activity(cast.admin, cast.committee, day=datetime.date(2026, 6, 12))
    after = make_activity(cast.admin, cast.committee, day=datetime.date(2026, 6, 22))
    absent(cast, before, old)
    absent(cast, after, old)
    assert list(PointEntry.objects.filter(member=old).values_list("points", flat=True)) == [-3]
    present(cast, make_activity(cast.admin, cast.committee, day=datetime.date(2026, 6, 23)), old)
    assert total(old) == -2  # attending still counts at 70+


def test_rule_applies_only_to_its_categories(cast):
    seed_rules(cast)
    services.point_rule_revise(actor=cast.admin, rule=rule(cast, "参加组织生活"), data={
        "name": "参加组织生活", "action": RuleAction.ATTENDED, "points": 1, "categories": ["working"],
        "effective_from": datetime.date(2026, 1, 1)})
    cast.me.refresh_from_db()
    Member.objects.filter(pk=cast.me.pk).update(category="resident")
    Member.objects.filter(pk=cast.members_by_name["王建国"].pk).update(category="working")
    activity = make_activity(cast.admin, cast.committee)
    present(cast, activity, cast.me)
    present(cast, activity, cast.members_by_name["王建国"])
    assert total(cast.me) == 0
    assert total(cast.members_by_name["王建国"]) == 1


def test_daily_and_yearly_caps(cast):
    seed_rules(cast)
    services.point_rule_revise(actor=cast.admin, rule=rule(cast, "参加组织生活"), data={
        "name": "参加组织生活", "action": RuleAction.ATTENDED, "points": 2, "daily_cap": 3, "yearly_cap": 5,
        "effective_from": datetime.date(2025, 1, 1)})
    morning = make_activity(cast.admin, cast.committee, start="09:00", minutes=60)
    afternoon = make_activity(cast.admin, cast.committee, start="14:00", minutes=60)
    present(cast, morning, cast.me)
    present(cast, afternoon, cast.me)
    assert total(cast.me) == 3  # 2 + 1 (daily cap 3)
    present(cast, make_activity(cast.admin, cast.committee, day=DAY.replace(day=20)), cast.me)
    present(cast, make_activity(cast.admin, cast.committee, day=DAY.replace(day=21)), cast.me)
    assert total(cast.me) == 5  # yearly cap 5
    present(cast, make_activity(cast.admin, cast.committee, day=datetime.date(2025, 6, 21)), cast.me)
    assert total(cast.me, 2025) == 2  # a new year


def test_negative_cap_bounds_the_absolute_value(cast):
    seed_rules(cast)
    services.point_rule_revise(actor=cast.admin, rule=rule(cast, "无故缺席集体学习"), data={
        "name": "无故缺席集体学习", "action": RuleAction.ABSENT, "activity_type": rule(cast, "无故缺席集体学习").activity_type,
        "points": -3, "yearly_cap": 4, "max_age": 69, "effective_from": datetime.date(2026, 1, 1)})
    for day in (10, 11, 12):
        absent(cast, make_activity(cast.admin, cast.committee, day=DAY.replace(day=day)), cast.me)
    assert total(cast.me) == -4


def test_revising_keeps_old_entries_and_new_attendance_uses_new_version(cast):
    seed_rules(cast)
    v1 = rule(cast, "参加组织生活")
    old_activity = make_activity(cast.admin, cast.committee, day=datetime.date(2026, 3, 12))
    present(cast, old_activity, cast.me)
    v2 = services.point_rule_revise(actor=cast.admin, rule=v1, data={
        "name": "参加组织生活", "action": RuleAction.ATTENDED, "points": 2, "effective_from": datetime.date(2026, 5, 1)})
    v1.refresh_from_db()
    assert v1.effective_to == datetime.date(2026, 4, 30)
    assert (v2.version, v2.replaces, v2.family) == (2, v1, v1.family)
    present(cast, make_activity(cast.admin, cast.committee), cast.me)
    entries = {e.day: e for e in PointEntry.objects.filter(member=cast.me)}
    assert (entries[datetime.date(2026, 3, 12)].rule, entries[datetime.date(2026, 3, 12)].points) == (v1, 1)
    assert (entries[DAY].rule, entries[DAY].points) == (v2, 2)
    with pytest.raises(ValidationError) as exc:
        services.point_rule_revise(actor=cast.admin, rule=v1, data={
            "name": "x", "action": RuleAction.ATTENDED, "points": 3, "effective_from": datetime.date(2026, 6, 1)})
    assert "已被替代" in str(exc.value) or "replaced" in str(exc.value)


def test_only_points_managers_change_rules(cast):
    seed_rules(cast)
    for user in (cast.east_secretary, cast.study, cast.plain_member, cast.outsider):
        with pytest.raises(PermissionDenied):
            services.point_rule_revise(actor=user, rule=rule(cast, "参加组织生活"), data={
                "name": "x", "action": RuleAction.ATTENDED, "points": 3, "effective_from": datetime.date(2026, 6, 1)})
        with pytest.raises(PermissionDenied):
            services.points_settings_update(actor=user, committee=cast.committee, threshold=1, annual_baseline=0,
                                            ranking_enabled=True)


def test_rule_values_are_checked(cast):
    seed_rules(cast)
    with pytest.raises(ValidationError) as exc:
        services.point_rule_create(actor=cast.admin, committee=cast.committee, data={
            "name": "", "action": RuleAction.STUDY_READ, "points": 0, "min_age": 70, "max_age": 60,
            "effective_from": None})
    assert set(exc.value.message_dict) == {"name", "points", "max_age", "effective_from"}


def test_correcting_attendance_appends_correcting_entries(cast):
    seed_rules(cast)
    activity = make_activity(cast.admin, cast.committee)
    row = absent(cast, activity, cast.me)
    original = PointEntry.objects.get(member=cast.me)
    assert original.points == -3
    correct(cast, row, AttendanceStatus.PRESENT)
    entries = list(PointEntry.objects.filter(member=cast.me).order_by("id"))
    assert [e.points for e in entries] == [-3, 3, 1]
    assert entries[1].corrects == original
    assert entries[1].reason == _("Correction: %(reason)s") % {"reason": original.reason}
    assert total(cast.me) == 1
    row.refresh_from_db()
    correct(cast, row, AttendanceStatus.LEAVE, "illness")
    assert total(cast.me) == 0
    assert PointEntry.objects.filter(member=cast.me).count() == 4


def test_cancelled_activity_reverses_its_entries(cast):
    seed_rules(cast)
    activity = make_activity(cast.admin, cast.committee)
    absent(cast, activity, cast.me)
    activity_cancel(actor=cast.admin, activity=activity, reason="场地临时无法使用")
    assert total(cast.me) == 0
    assert PointEntry.objects.filter(member=cast.me).count() == 2


def test_recompute_is_idempotent(cast):
    seed_rules(cast)
    activity = make_activity(cast.admin, cast.committee)
    present(cast, activity, cast.me)
    before = PointEntry.objects.count()
    services.entries_for_attendance(activity=activity, member_ids=[cast.me.pk], actor=cast.admin)
    assert services.points_recompute(committee=cast.committee) == {"added": 0, "reversed": 0}
    assert PointEntry.objects.count() == before


def test_recompute_after_a_backdated_revision_corrects_by_entries(cast):
    seed_rules(cast)
    activity = make_activity(cast.admin, cast.committee)
    present(cast, activity, cast.me)
    services.point_rule_revise(actor=cast.admin, rule=rule(cast, "参加组织生活"), data={
        "name": "参加组织生活", "action": RuleAction.ATTENDED, "points": 5, "effective_from": datetime.date(2026, 1, 1)})
    assert services.points_recompute(committee=cast.committee) == {"added": 1, "reversed": 1}
    assert total(cast.me) == 5
    assert services.points_recompute(committee=cast.committee) == {"added": 0, "reversed": 0}


def test_entries_are_append_only(cast):
    seed_rules(cast)
    present(cast, make_activity(cast.admin, cast.committee), cast.me)
    entry = PointEntry.objects.get()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        PointEntry.objects.update(points=9)
    with pytest.raises(TypeError):
        PointEntry.objects.all().delete()


def test_no_rules_means_no_entries(cast):
    activity_types = __import__("taizhang.activities.tests.factories", fromlist=["seed_types"]).seed_types(cast)
    assert activity_types
    present(cast, make_activity(cast.admin, cast.committee), cast.me)
    assert not PointEntry.objects.exists()


def test_study_item_read_points_with_daily_cap(cast):
    seed_rules(cast)

    class Item:
        def __init__(self, pk):
            self.pk, self.committee_id, self.title = pk, cast.committee.pk, f"每月一学 {pk}"

    for pk in (1, 2, 3):
        services.entries_for_study_read(item=Item(pk), member=cast.me, actor=cast.plain_member)
    services.entries_for_study_read(item=Item(1), member=cast.me, actor=cast.plain_member)
    assert sum(PointEntry.objects.filter(member=cast.me).values_list("points", flat=True)) == 2
    assert PointEntry.objects.filter(member=cast.me).count() == 2


def test_marking_a_real_study_item_read_gives_points_once(cast):
    content_services = pytest.importorskip("taizhang.activities.content_services")
    seed_rules(cast)
    item = content_services.study_item_create(actor=cast.study, committee=cast.committee, kind="monthly",
                                              title="学习党的二十届四中全会精神", body="全会公报全文",
                                              month=datetime.date(2026, 11, 1))
    content_services.study_item_mark_read(actor=cast.plain_member, item=item)
    content_services.study_item_mark_read(actor=cast.plain_member, item=item)
    entry = PointEntry.objects.get(member=cast.me)
    assert (entry.points, entry.rule.name, entry.source) == (1, "阅读学习资料", "study_read")
    assert entry.reason == _("Read the study item “%(title)s”") % {"title": "学习党的二十届四中全会精神"}
