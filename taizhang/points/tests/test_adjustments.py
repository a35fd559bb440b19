"""Manual adjustments (手工调整), their reversal (冲正), the staff page of one member's points, and closing a rule."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from taizhang.core.models import AuditEntry
from taizhang.members.models import Member
from taizhang.members.tests.factories import make_member
from taizhang.points import services
from taizhang.points.models import EntrySource, PointEntry, PointRule, RuleAction
from taizhang.points.tests.helpers import make_activity, present, seed_rules, total
from taizhang.points.tests.test_views import ROLES, queries_for

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 6, 12)


def adjust(cast, member, points=5, reason="表彰：优秀共产党员", actor=None, day=DAY):
    return services.point_adjustment_create(actor=actor or cast.admin, member=member, points=points, day=day,
                                            reason=reason)


def messages_of(exc_info, field):
    return exc_info.value.message_dict[field]


# --- services -------------------------------------------------------------------------------------------


def test_adjustment_is_an_entry_of_the_manual_rule_and_is_audited(cast):
    entry = adjust(cast, cast.me)
    assert entry.points == 5 and entry.source == EntrySource.MANUAL and entry.reason == "表彰：优秀共产党员"
    assert entry.rule.action == RuleAction.MANUAL and entry.rule.version == 1  # every entry records a rule version
    assert entry.created_by == cast.admin
    assert total(cast.me) == 5
    assert AuditEntry.objects.filter(action="points.adjustment_create").count() == 1
    second = adjust(cast, cast.me, points=-2, reason="漏记：无故缺席3月集体学习", actor=cast.east_secretary)
    assert second.rule == entry.rule  # one manual rule per committee
    assert PointRule.objects.filter(committee=cast.committee, action=RuleAction.MANUAL).count() == 1
    assert total(cast.me) == 3


@pytest.mark.parametrize(("points", "reason", "day", "field", "message"), [
    (0, "表彰", DAY, "points", "An adjustment of 0 points would change nothing; enter the points (negative to "
                               "deduct)."),
    (1001, "表彰", DAY, "points", "The points must be a whole number between -%(n)d and %(n)d."),
    (5, "   ", DAY, "reason", "Enter the reason for the adjustment; the member reads it."),
    (5, "表" * 301, DAY, "reason", "The reason is too long (at most 300 characters)."),
    (5, "表彰", datetime.date(2099, 1, 1), "day", "The date cannot be in the future."),
    (5, "表彰", None, "day", "Enter the date."),
])
def test_bad_adjustments_are_refused_with_a_message_and_write_nothing(cast, points, reason, day, field, message):
    with pytest.raises(ValidationError) as exc_info:
        adjust(cast, cast.me, points=points, reason=reason, day=day)
    expected = _(message) % {"n": 1000} if "%(n)d" in message else _(message)
    assert messages_of(exc_info, field) == [expected]
    assert not PointEntry.objects.exists()


def test_who_may_adjust_whom(cast):
    west = cast.west_members[0]
    assert services.may_adjust(cast.admin, west) and services.may_adjust(cast.west_secretary, west)
    for user in (cast.east_secretary, cast.study, cast.plain_member, cast.outsider, cast.auditor, cast.sysadmin):
        assert not services.may_adjust(user, west)
        with pytest.raises(PermissionDenied):
            adjust(cast, west, actor=user)
    assert not PointEntry.objects.exists()


def test_nobody_adjusts_their_own_points(cast):
    colleague = cast.east_members[1]
    Member.objects.filter(pk=colleague.pk).update(user=cast.east_secretary)
    colleague.refresh_from_db()
    with pytest.raises(PermissionDenied) as exc_info:
        adjust(cast, colleague, actor=cast.east_secretary)
    assert str(exc_info.value) == _("You cannot adjust your own points; another secretary has to do it.")
    adjust(cast, colleague, actor=cast.admin)  # someone else may


def test_reversal_is_a_correcting_entry_once(cast):
    entry = adjust(cast, cast.me, points=5)
    reversal = services.point_adjustment_reverse(actor=cast.east_secretary, entry=entry)
    assert reversal.points == -5 and reversal.corrects == entry and reversal.rule == entry.rule
    assert reversal.reason == _("Correction: %(reason)s") % {"reason": "表彰：优秀共产党员"}
    assert total(cast.me) == 0
    assert PointEntry.objects.get(pk=entry.pk).points == 5  # the original is never edited
    assert AuditEntry.objects.filter(action="points.adjustment_reverse").count() == 1
    with pytest.raises(ValidationError) as exc_info:
        services.point_adjustment_reverse(actor=cast.admin, entry=entry)
    assert messages_of(exc_info, "entry") == [_("This adjustment has already been reversed.")]
    with pytest.raises(ValidationError):
        services.point_adjustment_reverse(actor=cast.admin, entry=reversal)
    with pytest.raises(PermissionDenied):
        services.point_adjustment_reverse(actor=cast.west_secretary, entry=adjust(cast, cast.me))


def test_only_manual_entries_can_be_reversed(cast):
    seed_rules(cast)
    present(cast, make_activity(cast.admin, cast.committee), cast.me)
    entry = PointEntry.objects.get(member=cast.me)
    with pytest.raises(ValidationError) as exc_info:
        services.point_adjustment_reverse(actor=cast.admin, entry=entry)
    assert messages_of(exc_info, "entry") == [_("Only manual adjustments can be reversed here; other entries "
                                                "follow attendance, study and approvals.")]


def test_manual_rule_cannot_be_created_revised_or_closed_as_a_rule(cast):
    rule = services.manual_rule(committee=cast.committee, actor=cast.admin)
    data = {"name": "手工", "action": RuleAction.MANUAL, "points": 1, "effective_from": DAY}
    with pytest.raises(ValidationError) as exc_info:
        services.point_rule_create(actor=cast.admin, committee=cast.committee, data=data)
    assert "action" in exc_info.value.message_dict
    with pytest.raises(ValidationError):
        services.point_rule_revise(actor=cast.admin, rule=rule, data=data | {"effective_from": DAY})
    with pytest.raises(ValidationError):
        services.point_rule_close(actor=cast.admin, rule=rule, effective_to=DAY)


# --- the member points page -------------------------------------------------------------------------------


def statuses(client, cast, url, method="get", data=None):
    result = {}
    for role in ROLES:
        client.force_login(getattr(cast, role))
        result[role] = getattr(client, method)(url, data or {}).status_code
    client.logout()
    return result


def test_member_points_page_scoping_for_the_cast(client, cast):
    east_url = reverse("points:member", args=[cast.me.pk])
    west_url = reverse("points:member", args=[cast.west_members[0].pk])
    east = statuses(client, cast, east_url)
    west = statuses(client, cast, west_url)
    for role in ("admin", "study"):
        assert east[role] == west[role] == 200
    assert east["east_secretary"] == 200 and west["east_secretary"] == 404
    assert west["west_secretary"] == 200 and east["west_secretary"] == 404
    assert east["plain_member"] == 200 and west["plain_member"] == 404  # their own record only
    assert east["outsider"] == west["outsider"] == 404
    assert client.get(east_url).status_code == 302  # anonymous: to the login page


def test_adjustment_form_only_for_those_who_may_adjust(client, cast):
    url = reverse("points:member", args=[cast.me.pk])
    for role, shown in (("admin", True), ("east_secretary", True), ("study", False), ("plain_member", False)):
        client.force_login(getattr(cast, role))
        assert ('id="adjust-form"' in client.get(url).content.decode()) is shown, role


def test_adjusting_through_the_page_and_scoping(client, cast):
    west = cast.west_members[0]
    url = reverse("points:adjust", args=[west.pk])
    data = {"points": "5", "day": "2026-06-12", "reason": "表彰：优秀共产党员"}
    result = statuses(client, cast, url, "post", data)
    assert result["admin"] == 302 and result["west_secretary"] == 302
    assert result["east_secretary"] == 404 and result["plain_member"] == 404 and result["outsider"] == 404
    assert result["study"] in (403, 404) and result["auditor"] in (403, 404) and result["sysadmin"] in (403, 404)
    assert total(west) == 10  # admin and the west secretary
    client.force_login(cast.admin)
    response = client.post(url, {"points": "-3", "day": "2026-06-12", "reason": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="reason"' in page
    response = client.post(url, {"points": "0", "day": "2026-06-12", "reason": "漏记"})
    assert _("An adjustment of 0 points would change nothing; enter the points (negative to deduct).") in \
        response.content.decode()
    assert total(west) == 10
    assert client.get(url).status_code == 405


def test_reverse_button_through_the_page(client, cast):
    entry = adjust(cast, cast.me)
    url = reverse("points:adjust_reverse", args=[entry.pk])
    client.force_login(cast.west_secretary)
    assert client.post(url).status_code == 404
    client.force_login(cast.east_secretary)
    page = client.get(reverse("points:member", args=[cast.me.pk])).content.decode()
    assert f'action="{url}"' in page
    response = client.post(url, follow=True)
    page = response.content.decode()
    assert total(cast.me) == 0
    assert f'action="{url}"' not in page  # reversed: no second button
    response = client.post(url, follow=True)
    assert _("This adjustment has already been reversed.") in response.content.decode()
    assert total(cast.me) == 0


def test_member_points_page_query_count_does_not_grow(client, cast):
    seed_rules(cast)
    client.force_login(cast.east_secretary)
    url = reverse("points:member", args=[cast.me.pk])
    adjust(cast, cast.me)
    present(cast, make_activity(cast.admin, cast.committee), cast.me)
    before = queries_for(client, url)
    for i in range(6):
        present(cast, make_activity(cast.admin, cast.committee, day=datetime.date(2026, 7, 1 + i)), cast.me)
        services.point_adjustment_reverse(actor=cast.admin, entry=adjust(cast, cast.me, points=i + 1))
    assert queries_for(client, url) == before


def test_participation_and_member_panel_link_to_the_member_points_page(client, cast):
    client.force_login(cast.east_secretary)
    link = reverse("points:member", args=[cast.me.pk])
    assert link in client.get(reverse("points:participation"), {"year": 2026}).content.decode()
    assert link in client.get(reverse("members:detail", args=[cast.me.pk])).content.decode()


# --- closing a rule ---------------------------------------------------------------------------------------


def test_close_page_only_for_points_managers(client, cast):
    rules = seed_rules(cast)
    url = reverse("points:rule_close", args=[rules["参加组织生活"].pk])
    result = statuses(client, cast, url)
    assert result == {role: 200 if role == "admin" else 403 for role in ROLES}
    client.force_login(cast.admin)
    assert url in client.get(reverse("points:rules")).content.decode()
    manual = services.manual_rule(committee=cast.committee, actor=cast.admin)
    assert client.get(reverse("points:rule_close", args=[manual.pk])).status_code == 404


def test_closing_a_rule_through_the_page(client, cast):
    rule = seed_rules(cast)["参加组织生活"]
    url = reverse("points:rule_close", args=[rule.pk])
    client.force_login(cast.admin)
    response = client.post(url, {"effective_to": "2017-08-31"})
    assert _("The last day cannot be before %(day)s, when this version took effect.") % {"day": "2017-09-01"} in \
        response.content.decode()
    response = client.post(url, {"effective_to": ""})
    assert response.status_code == 200 and 'data-field="effective_to"' in response.content.decode()
    response = client.post(url, {"effective_to": "2026-06-30"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.effective_to == datetime.date(2026, 6, 30)
    audit = AuditEntry.objects.get(action="points.rule_close")
    assert audit.actor_id == cast.admin.pk
    response = client.post(url, {"effective_to": "2026-07-31"})
    assert _("This rule already ended on %(day)s.") % {"day": "2026-06-30"} in response.content.decode()
    rule.refresh_from_db()
    assert rule.effective_to == datetime.date(2026, 6, 30)
    # the closed rule gives no points after its last day, but still on it
    present(cast, make_activity(cast.admin, cast.committee, day=datetime.date(2026, 6, 30)), cast.me)
    member = make_member(cast.admin, cast.east, name="新党员")
    present(cast, make_activity(cast.admin, cast.committee, day=datetime.date(2026, 7, 1)), member)
    assert total(cast.me) == 1 and total(member) == 0


def test_closing_a_replaced_version_is_refused(cast):
    rule = seed_rules(cast)["参加组织生活"]
    data = {name: getattr(rule, name) for name in services.RULE_FIELDS} | {"points": 2,
                                                                          "effective_from": datetime.date(2026, 1, 1)}
    services.point_rule_revise(actor=cast.admin, rule=rule, data=data)
    with pytest.raises(ValidationError) as exc_info:
        services.point_rule_close(actor=cast.admin, rule=rule, effective_to=datetime.date(2026, 6, 1))
    assert exc_info.value.message_dict["effective_to"] == [
        _("This version has already been replaced by a newer version; close the newest version.")]
    with pytest.raises(PermissionDenied):
        services.point_rule_close(actor=cast.east_secretary, rule=rule, effective_to=datetime.date(2026, 6, 1))
