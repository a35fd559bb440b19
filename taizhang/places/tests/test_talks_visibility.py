"""Heart-to-heart talks: who sees that a talk took place and who reads its content, for every role of the
fixed cast; the content is encrypted at rest and every read of it is audited.

Decision (documented in talks_selectors): the member talked with does not read the record unless the
committee names them as a reader — it is the organisation's working note."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from taizhang.core.models import AuditEntry
from taizhang.members.tests.factories import UserFactory
from taizhang.places import talks_selectors, talks_services
from taizhang.places.models.talks import Talk, TalkKind

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
SECRET = "谈到家里经济困难，约定下月再谈"


def _talk(actor, cast, members, **kwargs):
    defaults = {"held_on": TODAY, "kind": TalkKind.HEART, "place": "谈心角", "topics": "生活困难",
                "content": SECRET, "agreed": "下月回访"}
    defaults.update(kwargs)
    return talks_services.talk_record(actor=actor, committee=cast.committee, members=members, **defaults)


@pytest.fixture
def talks(cast):
    by = cast.members_by_name
    reader = UserFactory(username="reader", display_name="组织委员")
    talks_services.talk_reader_add(actor=cast.admin, committee=cast.committee, user=reader)
    return {
        "east_held": _talk(cast.east_secretary, cast, [by["李秀英"]]),  # held by the east secretary
        "east_by_admin": _talk(cast.admin, cast, [by["王建国"]]),  # in the east, held by the committee secretary
        "with_me": _talk(cast.admin, cast, [cast.me]),  # with the plain member
        "west": _talk(cast.west_secretary, cast, [by["陈刚"]]),
        "reader": reader,
    }


# role -> the talks whose content it reads (by key); the talks it sees took place
READS = {
    "admin": {"east_held", "east_by_admin", "with_me", "west"},
    "east_secretary": {"east_held"},
    "west_secretary": {"west"},
    "study": set(), "plain_member": set(), "outsider": set(), "auditor": set(), "sysadmin": set(),
    "secadmin": set(),
    "reader": {"east_held", "east_by_admin", "with_me", "west"},
}
SEES = {
    "admin": {"east_held", "east_by_admin", "with_me", "west"},
    "east_secretary": {"east_held", "east_by_admin", "with_me"},  # that they took place, in the east
    "west_secretary": {"west"},
    "reader": {"east_held", "east_by_admin", "with_me", "west"},
}
TALK_KEYS = ["east_held", "east_by_admin", "with_me", "west"]


def _user(cast, talks, role):
    return talks["reader"] if role == "reader" else getattr(cast, role)


@pytest.mark.parametrize("role", list(READS))
def test_content_visibility_for_every_role(cast, talks, role):
    user = _user(cast, talks, role)
    readable = {k for k in TALK_KEYS if talks_selectors.may_read_content(user, talks[k])}
    assert readable == READS[role]
    # the queryset filter is the same rule
    ids = set(talks_selectors.content_readable(Talk.objects.all(), user).values_list("pk", flat=True))
    assert ids == {talks[k].pk for k in READS[role]}
    seen = set(talks_selectors.visible_talks(user).values_list("pk", flat=True))
    assert seen == {talks[k].pk for k in SEES.get(role, set())}


@pytest.mark.parametrize("role", list(READS))
def test_the_talk_page_shows_content_only_to_its_readers_and_audits_each_read(client, cast, talks, role):
    user = _user(cast, talks, role)
    client.force_login(user)
    for key in TALK_KEYS:
        talk = talks[key]
        before = AuditEntry.objects.filter(action="talk.read", object_id=str(talk.pk), actor=user).count()
        response = client.get(reverse("places:talk_detail", args=[talk.pk]))
        html = response.content.decode()
        if key in READS[role]:
            assert response.status_code == 200
            assert SECRET in html and 'id="talk-content"' in html
            after = AuditEntry.objects.filter(action="talk.read", object_id=str(talk.pk), actor=user).count()
            assert after == before + 1
        else:
            assert SECRET not in html
            assert not AuditEntry.objects.filter(action="talk.read", object_id=str(talk.pk), actor=user,
                                                 success=True).exists()
            if key in SEES.get(role, set()):
                assert response.status_code == 200 and 'id="talk-content-hidden"' in html
            else:
                assert response.status_code in (403, 404)


@pytest.mark.parametrize("role", list(READS))
def test_no_list_carries_the_content(client, cast, talks, role):
    client.force_login(_user(cast, talks, role))
    for name in ("places:talk_list", "places:talk_follow_ups", "places:talk_overview"):
        response = client.get(reverse(name))
        assert SECRET not in response.content.decode()
        assert "下月回访" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="talk.read").exists()


def test_pages_refused_to_roles_without_talks(client, cast, talks):
    for user in (cast.study, cast.plain_member, cast.outsider, cast.auditor, cast.sysadmin, cast.secadmin):
        client.force_login(user)
        assert client.get(reverse("places:talk_list")).status_code == 403
        assert client.get(reverse("places:talk_create")).status_code == 403
        assert client.get(reverse("places:talk_overview")).status_code == 403


def test_a_member_the_committee_names_reads_talks_even_about_themselves(cast, talks):
    assert not talks_selectors.may_read_content(cast.plain_member, talks["with_me"])
    talks_services.talk_reader_add(actor=cast.admin, committee=cast.committee, user=cast.plain_member)
    assert talks_selectors.may_read_content(cast.plain_member, talks["with_me"])
    entry = AuditEntry.objects.filter(action="talk.reader_add").order_by("id").last()
    assert entry.actor == cast.admin and entry.new_values["user"] == cast.plain_member.pk


def test_only_the_committee_secretary_names_readers(client, cast, talks):
    with pytest.raises(PermissionDenied):
        talks_services.talk_reader_add(actor=cast.east_secretary, committee=cast.committee, user=cast.study)
    client.force_login(cast.east_secretary)
    assert client.get(reverse("places:talk_readers")).status_code == 403
    client.force_login(cast.admin)
    response = client.post(reverse("places:talk_readers"), {"username": "study"})
    assert response.status_code == 302
    assert talks_selectors.may_read_content(cast.study, talks["west"])
    reader = talks_selectors.TalkReader.objects.get(user=cast.study)
    client.post(reverse("places:talk_reader_remove", args=[reader.pk]))
    assert not talks_selectors.may_read_content(cast.study, talks["west"])
    assert AuditEntry.objects.filter(action="talk.reader_remove").exists()
    response = client.post(reverse("places:talk_readers"), {"username": "nobody-here"})
    assert response.status_code == 400 and "没有" in response.content.decode()


def test_the_service_refuses_and_audits_a_read_by_someone_not_allowed(cast, talks):
    with pytest.raises(PermissionDenied):
        talks_services.talk_read_content(actor=cast.west_secretary, talk=talks["east_held"])
    entry = AuditEntry.objects.get(action="talk.read", actor=cast.west_secretary)
    assert entry.success is False


def test_a_deactivated_talker_reads_nothing(cast, talks):
    cast.east_secretary.is_active = False
    cast.east_secretary.save()
    assert not talks_selectors.may_read_content(cast.east_secretary, talks["east_held"])
    assert not talks_selectors.content_readable(Talk.objects.all(), cast.east_secretary).exists()


def test_the_raw_row_holds_no_plain_content(cast, talks):
    talk = talks["east_held"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Talk._meta.db_table} WHERE id = %s", [talk.pk])
        row = cursor.fetchone()
    raw = " ".join(str(v) for v in row)
    for plain in (SECRET, "生活困难", "下月回访"):
        assert plain not in raw
    assert talk.content_encrypted.startswith("v1:")
    assert Talk.objects.get(pk=talk.pk).content == SECRET
    # nor does the audit log of the talk's creation
    entry = AuditEntry.objects.get(action="talk.create", object_id=str(talk.pk))
    assert SECRET not in str(entry.new_values) and "生活困难" not in str(entry.new_values)


def test_summary_counts_counts_only(cast, talks):
    _talk(cast.admin, cast, [cast.me], held_on=datetime.date(TODAY.year - 1, 6, 1))
    assert talks_selectors.summary_counts(cast.committee) == {"talks_this_year": 4}


def test_a_branch_secretary_is_not_shown_the_other_branchs_member_of_a_shared_talk(client, cast):
    by = cast.members_by_name
    talk = _talk(cast.admin, cast, [by["李秀英"], by["陈刚"]])
    client.force_login(cast.east_secretary)
    for url in (reverse("places:talk_list"), reverse("places:talk_detail", args=[talk.pk])):
        html = client.get(url).content.decode()
        assert "李秀英" in html and "陈刚" not in html and "共2名党员" in html
    client.force_login(cast.admin)
    assert "陈刚" in client.get(reverse("places:talk_detail", args=[talk.pk])).content.decode()
