"""Minimum necessary (PIPL): the 学习委员 sees names, branches and study facts; notes are internal or shared.

The fixed cast (conftest.py): ``cast.study`` holds study_member over the whole committee.
"""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from taizhang.members.models import Household, Member
from taizhang.members.services import note_add

pytestmark = pytest.mark.django_db


def _fill_details(cast):
    """Give 李秀英 an address, a household, work details, a tag and notes the study role must not see."""
    member = cast.members_by_name["李秀英"]
    household = Household.objects.create(committee=cast.committee, name="李秀英家")
    Member.objects.filter(pk=member.pk).update(
        residence="朝阳区幸福小区3号楼", household=household, employer="北京某某科技公司", position="会计",
        household_registration="青岛市市南区香港中路",
    )
    note_add(actor=cast.east_secretary, member=member, noted_on=datetime.date(2024, 5, 1), text="家中老人需要照顾")
    return member


def test_study_member_sees_names_and_branch_but_no_address_household_work_or_notes(client, cast):
    member = _fill_details(cast)
    client.force_login(cast.study)
    html = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert "李秀英" in html and "东部片区支部" in html
    for secret in ("朝阳区幸福小区", "李秀英家", "北京某某科技公司", "会计", "家中老人需要照顾", "香港中路",
                   member.phone_masked, member.id_number_masked, 'id="timeline"', "1958-02-03"):
        assert secret not in html, secret


def test_branch_secretary_still_sees_the_whole_record(client, cast):
    member = _fill_details(cast)
    client.force_login(cast.east_secretary)
    html = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    for detail in ("朝阳区幸福小区", "李秀英家", "北京某某科技公司", "家中老人需要照顾", member.phone_masked, 'id="timeline"'):
        assert detail in html, detail


def test_study_member_list_has_no_detail_columns_or_filters_and_no_export(client, cast):
    client.force_login(cast.study)
    response = client.get(reverse("members:list"))
    keys = [c.key for c in response.context["columns"]]
    assert "name" in keys and "branch" in keys
    assert not {"phone", "district", "category", "last_contact"} & set(keys)
    form_fields = set(response.context["filter"].form.fields)
    assert not {"category", "contact", "tag"} & form_fields
    html = response.content.decode()
    assert 'id="export-menu"' not in html
    assert cast.me.phone_masked not in html


def test_study_member_search_does_not_match_phone_or_id_digits(client, cast):
    client.force_login(cast.study)
    target = cast.members_by_name["陈刚"]
    for digits in (target.phone_last4, target.id_number_last4):
        names = {m.name for m in client.get(reverse("members:list"), {"q": digits}).context["page"].object_list}
        assert "陈刚" not in names
    names = {m.name for m in client.get(reverse("members:list"), {"q": "chengang"}).context["page"].object_list}
    assert names == {"陈刚"}
    # a hidden filter in the address bar is ignored, not applied
    response = client.get(reverse("members:list"), {"category": "resident"})
    assert len(response.context["page"].object_list) == 6


@pytest.mark.parametrize("name", ["members:export_xlsx", "members:export_csv", "members:roster_print"])
def test_study_member_may_not_export_or_print_the_ledger(client, cast, name):
    client.force_login(cast.study)
    assert client.get(reverse(name)).status_code == 403
    client.force_login(cast.east_secretary)
    assert client.get(reverse(name)).status_code == 200


def test_export_command_refuses_the_study_member(cast, tmp_path):
    with pytest.raises(CommandError, match="学习委员|不能导出|may not|无权"):
        call_command("export_members", str(tmp_path / "study.xlsx"), "--as", "study")
    assert not (tmp_path / "study.xlsx").exists()


def test_study_member_may_not_reveal(client, cast):
    client.force_login(cast.study)
    response = client.post(reverse("members:reveal", args=[cast.me.pk, "phone"]))
    assert response.status_code == 403


# --- behaviour notes: internal or shared -----------------------------------------------------------


def test_notes_are_internal_by_default_and_the_member_sees_only_shared_ones(client, cast):
    note_add(actor=cast.east_secretary, member=cast.me, noted_on=datetime.date(2024, 3, 1), text="内部：需重点关注")
    note_add(actor=cast.east_secretary, member=cast.me, noted_on=datetime.date(2024, 4, 1), text="积极参加志愿服务",
             shared=True)
    client.force_login(cast.plain_member)
    html = client.get(reverse("members:detail", args=[cast.me.pk])).content.decode()
    assert "积极参加志愿服务" in html
    assert "需重点关注" not in html
    client.force_login(cast.east_secretary)
    html = client.get(reverse("members:detail", args=[cast.me.pk])).content.decode()
    assert "积极参加志愿服务" in html and "需重点关注" in html


def test_the_note_form_saves_internal_unless_shared_is_ticked(client, cast):
    client.force_login(cast.east_secretary)
    url = reverse("members:note", args=[cast.me.pk])
    client.post(url, {"noted_on": "2024-05-01", "text": "第一条"})
    client.post(url, {"noted_on": "2024-05-02", "text": "第二条", "shared": "on"})
    assert dict(cast.me.notes.values_list("text", "shared")) == {"第一条": False, "第二条": True}


def test_study_member_home_has_counts_but_no_flow_events_or_contact_dates(client, cast):
    from taizhang.members.models import EventKind
    from taizhang.members.services import flow_record_event

    flow_record_event(actor=cast.west_secretary, member=cast.members_by_name["陈刚"], kind=EventKind.LEFT_BEIJING,
                      effective_date=datetime.date(2024, 6, 1), reason="回青岛照顾父母")
    client.force_login(cast.study)
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.context["counts"]["total"] == 6
    assert "回青岛照顾父母" not in html and 'id="contact-overdue"' not in html and list(response.context["recent_events"]) == []
    client.force_login(cast.west_secretary)
    assert len(client.get(reverse("home")).context["recent_events"]) > 0
