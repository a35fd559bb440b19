"""The points pages: who sees what (the cast), forms, the import flow, exports and query counts."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext as _

from taizhang.activities.tests.factories import make_activity
from taizhang.members.models import ROSTER_STATUSES, Member
from taizhang.members.tests.factories import make_member
from taizhang.points import selectors, services
from taizhang.points.models import ExternalScore, PointRule, PointsSettings, RecordStatus, StudyKind, StudyRecord
from taizhang.points.tests.helpers import absent, present, seed_rules

pytestmark = pytest.mark.django_db

ROLES = ["admin", "east_secretary", "west_secretary", "study", "plain_member", "outsider", "auditor", "sysadmin"]


def status_for(client, cast, url):
    result = {}
    for role in ROLES:
        client.force_login(getattr(cast, role))
        result[role] = client.get(url).status_code
    client.logout()
    return result


def expect(allowed):
    return {role: 200 if role in allowed else 403 for role in ROLES}


@pytest.mark.parametrize(("name", "allowed"), [
    ("points:mine", {"plain_member"}),
    ("points:record_create", {"plain_member"}),
    ("points:approvals", {"admin", "east_secretary", "west_secretary"}),
    ("points:rules", {"admin", "east_secretary", "west_secretary", "study"}),
    ("points:participation", {"admin", "east_secretary", "west_secretary", "study"}),
    ("points:rule_create", {"admin"}),
    ("points:settings", {"admin"}),
    ("points:import", {"admin"}),
    ("points:import_template", {"admin"}),
])
def test_page_access_for_the_cast(client, cast, name, allowed):
    seed_rules(cast)
    assert status_for(client, cast, reverse(name)) == expect(allowed)
    assert client.get(reverse(name)).status_code == 302  # anonymous: to the login page


def test_rule_revise_only_for_points_managers(client, cast):
    seed_rules(cast)
    url = reverse("points:rule_revise", args=[PointRule.objects.first().pk])
    assert status_for(client, cast, url) == expect({"admin"})


def test_my_points_page_shows_entries_total_threshold_records_and_scores(client, cast):
    seed_rules(cast)
    present(cast, make_activity(cast.admin, cast.committee, title="学习党章"), cast.me)
    absent(cast, make_activity(cast.admin, cast.committee, title="主题党日活动", type_name="主题党日",
                               day=datetime.date(2026, 7, 1)), cast.me)
    services.study_record_submit(actor=cast.plain_member, member=cast.me, day=datetime.date(2026, 7, 2),
                                 kind=StudyKind.SELF_STUDY, title="自学党史")
    client.force_login(cast.plain_member)
    page = client.get(reverse("points:mine")).content.decode()
    assert 'text-danger" id="points-total">59<' in page  # baseline 60 + 1 - 2: below the threshold of 60
    assert "学习党章" in page and "主题党日活动" in page and "自学党史" in page
    assert "参加组织生活" in page and "无故缺席组织生活" in page
    older = client.get(reverse("points:mine"), {"year": 2025}).content.decode()
    assert "学习党章" not in older


def test_member_submits_a_record_through_the_form(client, cast):
    client.force_login(cast.plain_member)
    response = client.post(reverse("points:record_create"), {"day": "2026-07-02", "kind": "volunteer",
                                                              "title": "社区志愿服务", "hours": ""})
    assert response.status_code == 200
    assert _("Enter how many hours of volunteer service.") in response.content.decode()
    response = client.post(reverse("points:record_create"), {"day": "2026-07-02", "kind": "volunteer",
                                                              "title": "社区志愿服务", "hours": "2.5"})
    assert response.status_code == 302
    record = StudyRecord.objects.get()
    assert (record.member, record.hours, record.status) == (cast.me, 2.5, RecordStatus.PENDING)


def test_approval_page_lists_only_records_of_members_the_user_may_edit(client, cast):
    records = {m.name: services.study_record_submit(actor=cast.admin, member=m, day=datetime.date(2026, 7, 1),
                                                    kind=StudyKind.SELF_STUDY, title=f"{m.name}的学习")
               for m in cast.members}
    client.force_login(cast.east_secretary)
    page = client.get(reverse("points:approvals")).content.decode()
    assert all(f"{m.name}的学习" in page for m in cast.east_members)
    assert not any(f"{m.name}的学习" in page for m in cast.west_members + cast.central_members)
    client.force_login(cast.admin)  # the admin submitted them all: none is for him to decide
    assert "的学习" not in client.get(reverse("points:approvals")).content.decode().split('id="pending"')[1]
    client.force_login(cast.west_secretary)  # another branch's record: 404
    url = reverse("points:decide", args=[records["张伟明"].pk, "approve"])
    assert client.post(url).status_code == 404


def test_approve_and_reject_through_the_page(client, cast):
    seed_rules(cast)
    record = services.study_record_submit(actor=cast.plain_member, member=cast.me, day=datetime.date(2026, 7, 1),
                                          kind=StudyKind.SELF_STUDY, title="自学党史")
    client.force_login(cast.east_secretary)
    response = client.post(reverse("points:decide", args=[record.pk, "reject"]), {"note": ""}, follow=True)
    assert _("Say why the record is rejected; the member will read it.") in response.content.decode()
    response = client.post(reverse("points:decide", args=[record.pk, "approve"]), follow=True)
    record.refresh_from_db()
    assert record.status == RecordStatus.APPROVED
    assert (_("The study record of %(name)s is approved.") % {"name": "张伟明"}) in response.content.decode()


def test_approving_own_record_is_refused_with_a_message(client, cast):
    Member.objects.filter(pk=cast.members_by_name["王建国"].pk).update(user=cast.east_secretary)
    record = services.study_record_submit(actor=cast.east_secretary, member=cast.members_by_name["王建国"],
                                          day=datetime.date(2026, 7, 1), kind=StudyKind.SELF_STUDY, title="自学")
    client.force_login(cast.east_secretary)
    response = client.post(reverse("points:decide", args=[record.pk, "approve"]), follow=True)
    assert _("You cannot approve or reject your own study record; another approver has to decide.") in \
        response.content.decode()
    record.refresh_from_db()
    assert record.status == RecordStatus.PENDING


def test_rules_page_create_revise_and_settings(client, cast):
    seed_rules(cast)
    client.force_login(cast.admin)
    page = client.get(reverse("points:rules")).content.decode()
    assert "无故缺席集体学习" in page and reverse("points:rule_create") in page
    response = client.post(reverse("points:rule_create"), {
        "name": "参观红色教育基地", "action": "attended", "activity_type": PointRule.objects.filter(
            activity_type__isnull=False).first().activity_type.committee.activity_types.get(
            name="参观红色教育基地/展览").pk, "points": "2", "effective_from": "2026-01-01"})
    assert response.status_code == 302
    rule = PointRule.objects.get(name="参加组织生活")
    response = client.post(reverse("points:rule_revise", args=[rule.pk]), {
        "name": "参加组织生活", "points": "2", "effective_from": "2026-12-01"})
    assert response.status_code == 302
    assert PointRule.objects.filter(family=rule.family).count() == 2
    response = client.post(reverse("points:rule_revise", args=[rule.pk]), {
        "name": "参加组织生活", "points": "3", "effective_from": "2027-01-01"})
    assert response.status_code == 200  # v1 is replaced already
    response = client.post(reverse("points:settings"), {"threshold": "70", "annual_baseline": "60",
                                                        "ranking_enabled": "on"})
    assert response.status_code == 302
    config = PointsSettings.objects.get(committee=cast.committee)
    assert (config.threshold, config.annual_baseline, config.ranking_enabled) == (70, 60, True)
    client.force_login(cast.east_secretary)  # read-only for other staff
    page = client.get(reverse("points:rules")).content.decode()
    assert "无故缺席集体学习" in page and reverse("points:rule_create") not in page


def test_participation_rows_scope_threshold_and_rank(client, cast):
    seed_rules(cast)
    activity = make_activity(cast.admin, cast.committee)
    present(cast, activity, cast.me)
    absent(cast, activity, cast.west_members[0])
    client.force_login(cast.east_secretary)
    page = client.get(reverse("points:participation"), {"year": 2026}).content.decode()
    assert all(m.name in page for m in cast.east_members)
    assert not any(m.name in page for m in cast.west_members)
    assert _("Rank") not in page
    client.force_login(cast.admin)
    page = client.get(reverse("points:participation"), {"year": 2026}).content.decode()
    assert all(m.name in page for m in cast.members)
    # the default threshold asks for points earned by taking part: one meeting is not enough for anyone
    assert page.count('class="table-warning"') == len(cast.members)
    services.points_settings_update(actor=cast.admin, committee=cast.committee, threshold=60, annual_baseline=60,
                                    ranking_enabled=False)
    page = client.get(reverse("points:participation"), {"year": 2026}).content.decode()
    assert page.count('class="table-warning"') == 1  # with a threshold of 60: 赵丽华, 60 - 3 < 60
    services.points_settings_update(actor=cast.admin, committee=cast.committee, threshold=60, annual_baseline=60,
                                    ranking_enabled=True)
    response = client.get(reverse("points:participation"), {"year": 2026, "below": "on"},
                          headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page and _("Rank") in page
    assert cast.west_members[0].name in page  # 57 < 60
    assert cast.me.name not in page
    response = client.get(reverse("points:participation"), {"year": 2026, "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    b"".join(response.streaming_content)


def queries_for(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_participation_query_count_does_not_grow(client, cast):
    seed_rules(cast)
    client.force_login(cast.admin)
    present(cast, make_activity(cast.admin, cast.committee), cast.me)
    before = queries_for(client, reverse("points:participation"), year=2026)
    for i in range(8):
        member = make_member(cast.admin, cast.east, name=f"新党员{i}")
        present(cast, make_activity(cast.admin, cast.committee, day=datetime.date(2026, 7, 1 + i)), member)
    assert queries_for(client, reverse("points:participation"), year=2026) == before


def test_approvals_query_count_does_not_grow(client, cast):
    client.force_login(cast.east_secretary)
    services.study_record_submit(actor=cast.admin, member=cast.me, day=datetime.date(2026, 7, 1),
                                 kind=StudyKind.SELF_STUDY, title="学习")
    before = queries_for(client, reverse("points:approvals"))
    for i in range(10):
        member = make_member(cast.admin, cast.east, name=f"新党员{i}")
        record = services.study_record_submit(actor=cast.admin, member=member, day=datetime.date(2026, 7, 1),
                                              kind=StudyKind.SELF_STUDY, title=f"学习{i}")
        if i % 2:
            services.study_record_approve(actor=cast.east_secretary, record=record)
    assert queries_for(client, reverse("points:approvals")) == before


def test_my_points_query_count_does_not_grow(client, cast):
    seed_rules(cast)
    client.force_login(cast.plain_member)
    present(cast, make_activity(cast.admin, cast.committee), cast.me)
    before = queries_for(client, reverse("points:mine"))
    for i in range(6):
        present(cast, make_activity(cast.admin, cast.committee, day=datetime.date(2026, 7, 1 + i)), cast.me)
        absent(cast, make_activity(cast.admin, cast.committee, day=datetime.date(2026, 8, 1 + i)), cast.me)
    assert queries_for(client, reverse("points:mine")) == before


def test_member_page_panel_visibility_and_query_count(client, cast):
    seed_rules(cast)
    present(cast, make_activity(cast.admin, cast.committee, day=datetime.date(2026, 1, 12)), cast.me)
    url = reverse("members:detail", args=[cast.me.pk])
    client.force_login(cast.plain_member)
    assert 'id="points-panel"' in client.get(url).content.decode()
    client.force_login(cast.east_secretary)
    assert 'id="points-panel"' in client.get(url).content.decode()
    before = queries_for(client, url)
    for i in range(6):
        present(cast, make_activity(cast.admin, cast.committee, day=datetime.date(2026, 2, 1 + i)), cast.me)
    assert queries_for(client, url) == before
    from taizhang.points.selectors import member_panel

    assert member_panel(member=cast.me, user=cast.west_secretary) is None
    assert member_panel(member=cast.me, user=cast.outsider) is None


def test_import_flow_upload_check_commit(client, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(cast.admin)
    me = cast.me
    text = f"姓名,身份证号,平台,周期,得分\n{me.name},{me.id_number},学习强国,2026-10,1234\n无名,,学习强国,2026-10,1\n"
    upload = io.BytesIO(text.encode("utf-8"))
    upload.name = "scores.csv"
    page = client.post(reverse("points:import"), {"file": upload}).content.decode()
    assert _("Enter the citizen ID number or the phone number.") in page
    assert not ExternalScore.objects.exists()
    sha = client.session["points_import"]["sha256"]
    assert client.post(reverse("points:import_commit"), {"sha256": "wrong"}).status_code == 302
    assert not ExternalScore.objects.exists()
    client.post(reverse("points:import_commit"), {"sha256": sha})
    assert ExternalScore.objects.get().score == 1234
    assert "points_import" not in client.session
    assert not list(tmp_path.rglob("*.csv"))  # the uploaded file is removed
    from taizhang.core.models import AuditEntry

    assert [e.new_values["reason"] for e in AuditEntry.objects.filter(action="points.import_file_delete")] == [
        "committed"]


def test_home_panel_for_members_approvers_and_nobody_else(client, cast):
    seed_rules(cast)
    services.study_record_submit(actor=cast.plain_member, member=cast.me, day=datetime.date(2026, 7, 1),
                                 kind=StudyKind.SELF_STUDY, title="自学")
    from taizhang.points.selectors import home_panel

    mine = home_panel(user=cast.plain_member)
    assert mine["member"]["total"] == 60 and mine["pending"] is None and not mine["staff"]
    assert home_panel(user=cast.east_secretary)["pending"] == 1
    assert home_panel(user=cast.west_secretary)["pending"] == 0
    assert home_panel(user=cast.study)["pending"] is None
    for user in (cast.outsider, cast.auditor, cast.sysadmin):
        assert home_panel(user=user) is None
    client.force_login(cast.east_secretary)
    assert 'id="points-home"' in client.get(reverse("home")).content.decode()


def test_unknown_decision_is_404(client, cast):
    record = services.study_record_submit(actor=cast.plain_member, member=cast.me, day=datetime.date(2026, 7, 1),
                                          kind=StudyKind.SELF_STUDY, title="自学")
    client.force_login(cast.east_secretary)
    assert client.post(reverse("points:decide", args=[record.pk, "delete"])).status_code == 404
    assert client.get(reverse("points:decide", args=[record.pk, "approve"])).status_code == 405


def test_the_approvals_queue_pages(client, cast, monkeypatch):
    from taizhang.points import views

    monkeypatch.setattr(views, "APPROVALS_PAGE_SIZE", 3)
    for i in range(5):
        member = make_member(cast.admin, cast.east, name=f"新党员{i}")
        services.study_record_submit(actor=cast.admin, member=member, day=datetime.date(2026, 7, 1 + i),
                                     kind=StudyKind.SELF_STUDY, title=f"学习{i}")
    client.force_login(cast.east_secretary)
    first = client.get(reverse("points:approvals"))
    second = client.get(reverse("points:approvals"), {"page": 2})
    assert [r.title for r in first.context["records"]] == ["学习0", "学习1", "学习2"]
    assert [r.title for r in second.context["records"]] == ["学习3", "学习4"]
    assert first.context["page"].paginator.count == 5 and "page=2" in first.content.decode()


def test_participation_pages_cost_the_same_queries_and_hold_their_rows(client, cast):
    """The table is paged by the database: page 2 costs what page 1 does and holds rows 51 on, in the
    table's order (branch, pinyin)."""
    seed_rules(cast)
    for i in range(50):
        make_member(cast.admin, (cast.east, cast.central, cast.west)[i % 3], name=f"党员{i:02d}")
    client.force_login(cast.admin)
    url = reverse("points:participation")
    rows, _branches, _config = selectors.participation(cast.admin, cast.committee, 2026)
    everyone = list(Member.objects.filter(committee=cast.committee, current_event__status_after__in=ROSTER_STATUSES)
                    .order_by("branch__sort_order", "name_pinyin", "id").values_list("pk", flat=True))
    assert [r.member.pk for r in rows] == everyone and len(rows) > 50
    first = queries_for(client, url, year=2026)
    assert queries_for(client, url, year=2026, page=2) == first
    page = client.get(url, {"year": 2026, "page": 2}).context["page"]
    assert [r.member.pk for r in page.object_list] == everyone[50:]
