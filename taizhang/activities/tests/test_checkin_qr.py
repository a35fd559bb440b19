"""QR check-in: signed rotating tokens, the confirm page (no writes on GET), the window, idempotency,
tampering, expiry, and walk-ins from outside the audience (flagged, no access to the discussion notes)."""

import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signing import BadSignature, SignatureExpired, Signer
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.activities.checkin import SALT, checkin_token, token_lifetime_seconds, verify_checkin_token
from taizhang.activities.content_services import activity_note_create
from taizhang.activities.models import Attendance, AudienceKind, CheckInMethod, NoteKind
from taizhang.activities.tests.factories import seed_types
from taizhang.activities.tests.factories_pages import activity_at, body, minutes_from_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_activity(cast):
    seed_types(cast)
    return activity_at(cast.admin, cast.committee, minutes_from_now(10), title="扫码签到的集体学习")


def url(activity, token=None):
    return reverse("activities:checkin", args=[activity.pk, token or checkin_token(activity)])


def flip(token: str) -> str:
    return ("A" if token[0] != "A" else "B") + token[1:]


def test_token_round_trip_and_tampering(open_activity, cast):
    token = checkin_token(open_activity)
    assert verify_checkin_token(open_activity.pk, token) == open_activity.pk
    with pytest.raises(BadSignature):
        verify_checkin_token(open_activity.pk, flip(token))
    with pytest.raises(BadSignature):
        verify_checkin_token(open_activity.pk + 1, token)


def test_get_shows_confirm_button_and_writes_nothing(client, cast, open_activity):
    client.force_login(cast.plain_member)
    response = client.get(url(open_activity))
    assert response.status_code == 200
    assert 'id="checkin-button"' in body(response)
    assert not Attendance.objects.exists()


def test_post_checks_in_then_second_scan_says_already(client, cast, open_activity):
    client.force_login(cast.plain_member)
    response = client.post(url(open_activity))
    row = Attendance.objects.get(activity=open_activity, member=cast.me)
    assert row.method == CheckInMethod.QR and row.status == "present" and row.recorded_by == cast.plain_member
    assert _("Checked in successfully") in body(response)
    already = _("You have already checked in (%(t)s).") % {"t": timezone.localtime(row.checked_in_at).strftime("%H:%M")}
    response = client.post(url(open_activity))
    assert already in body(response)
    assert Attendance.objects.count() == 1
    assert already in body(client.get(url(open_activity)))  # scanning again: no button, the time shown
    assert 'id="checkin-button"' not in body(client.get(url(open_activity)))


@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_token_is_400_and_writes_nothing(client, cast, open_activity, method):
    client.force_login(cast.plain_member)
    response = getattr(client, method)(url(open_activity, flip(checkin_token(open_activity))))
    assert response.status_code == 400
    assert _("Invalid check-in link") in body(response)
    assert not Attendance.objects.exists()


def test_token_of_another_activity_is_400(client, cast, open_activity):
    other = activity_at(cast.admin, cast.committee, minutes_from_now(15), title="另一个活动")
    client.force_login(cast.plain_member)
    response = client.post(reverse("activities:checkin", args=[open_activity.pk, checkin_token(other)]))
    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_before_the_window(client, cast):
    seed_types(cast)
    later = activity_at(cast.admin, cast.committee, minutes_from_now(120))
    client.force_login(cast.plain_member)
    response = client.post(url(later))
    assert response.status_code == 200
    assert "开始签到" in body(response) and 'id="checkin-error"' in body(response)
    assert not Attendance.objects.exists()


def test_after_the_window(client, cast):
    seed_types(cast)
    started = activity_at(cast.admin, cast.committee, minutes_from_now(-60), minutes=180)
    client.force_login(cast.plain_member)
    response = client.post(url(started))
    assert "签到已于活动开始后" in body(response)
    assert not Attendance.objects.exists()


def test_not_logged_in_goes_to_login_and_back(client, cast, open_activity):
    target = url(open_activity)
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login")) and "next=" in response["Location"]
    assert not Attendance.objects.exists()


def test_user_without_member_record(client, cast, open_activity):
    client.force_login(cast.admin)
    response = client.post(url(open_activity))
    assert 'id="checkin-error"' in body(response)
    assert not Attendance.objects.exists()


def test_not_invited_member_is_warned(client, cast):
    seed_types(cast)
    west = activity_at(cast.west_secretary, cast.committee, minutes_from_now(10), type_name="主题党日",
                       organiser_branch=cast.west, audience_kind=AudienceKind.BRANCH, audience_branch=cast.west)
    client.force_login(cast.plain_member)
    text = body(client.get(url(west)))
    assert _("You are not on this activity's invitation list; if you check in, you are recorded as present from "
             "outside the audience.") in text
    assert not Attendance.objects.exists()


def test_cancelled_activity(client, cast, open_activity):
    client.force_login(cast.admin)
    client.post(reverse("activities:cancel", args=[open_activity.pk]), {"cancel_reason": "暴雨"})
    client.force_login(cast.plain_member)
    response = client.post(url(open_activity))
    assert 'id="checkin-error"' in body(response)
    assert not Attendance.objects.exists()


def test_qr_page_for_managers(client, cast, open_activity):
    client.force_login(cast.admin)
    response = client.get(reverse("activities:qr", args=[open_activity.pk]))
    text = body(response)
    assert "<svg" in text
    link = re.search(r'data-checkin-url="([^"]+)"', text).group(1)
    assert link.startswith("http://testserver" + reverse("activities:checkin", args=[open_activity.pk, "X"])[:-2])
    assert verify_checkin_token(open_activity.pk, link.rstrip("/").rsplit("/", 1)[1]) == open_activity.pk
    assert "no-store" in response["Cache-Control"]
    client.force_login(cast.east_secretary)  # a committee activity: not theirs to manage
    assert client.get(reverse("activities:qr", args=[open_activity.pk])).status_code == 404
    assert client.get(reverse("activities:qr_code", args=[open_activity.pk])).status_code == 404
    client.force_login(cast.plain_member)
    assert client.get(reverse("activities:qr", args=[open_activity.pk])).status_code == 403
    assert client.get(reverse("activities:qr_code", args=[open_activity.pk])).status_code == 403


# --- rotation ------------------------------------------------------------------------------------------------


def test_the_qr_page_fetches_a_fresh_code_itself_without_inline_script(client, cast, open_activity, settings):
    settings.CHECKIN_TOKEN_MINUTES = 3
    client.force_login(cast.admin)
    text = body(client.get(reverse("activities:qr", args=[open_activity.pk])))
    poll = re.search(r'hx-get="([^"]+)" hx-trigger="every (\d+)s"', text)
    assert poll.group(1) == reverse("activities:qr_code", args=[open_activity.pk])
    assert int(poll.group(2)) < 3 * 60  # well before the shown code expires
    assert "<script>" not in text and "onclick" not in text
    fragment = client.get(poll.group(1))
    assert "no-store" in fragment["Cache-Control"] and "<svg" in body(fragment) and "<html" not in body(fragment)
    token = re.search(r'data-checkin-url="[^"]+/checkin/([^/"]+)/"', body(fragment)).group(1)
    assert verify_checkin_token(open_activity.pk, token) == open_activity.pk
    client.logout()  # signed out (idle timeout): no login page swapped into the screen
    assert client.get(poll.group(1), HTTP_HX_REQUEST="true").status_code == 401


def test_tokens_change_and_expire(open_activity):
    now = time.time()
    assert checkin_token(open_activity, at=now) != checkin_token(open_activity, at=now - 60)
    verify_checkin_token(open_activity.pk, checkin_token(open_activity, at=now - token_lifetime_seconds() + 30))
    with pytest.raises(SignatureExpired):
        verify_checkin_token(open_activity.pk, checkin_token(open_activity, at=now - token_lifetime_seconds() - 5))


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_or_old_static_link_is_refused(client, cast, open_activity, method):
    client.force_login(cast.plain_member)
    expired = checkin_token(open_activity, at=time.time() - token_lifetime_seconds() - 5)
    response = getattr(client, method)(url(open_activity, expired))
    assert response.status_code == 400
    assert "过期" in body(response) and "重新扫描" in body(response)
    static = Signer(salt=SALT).signature(str(open_activity.pk))  # the link printed before rotation
    assert getattr(client, method)(url(open_activity, static)).status_code == 400
    assert not Attendance.objects.exists()


# --- walk-ins ------------------------------------------------------------------------------------------------


@pytest.fixture
def west_meeting(cast, settings, tmp_path):
    """A west branch meeting starting in 10 minutes, with discussion notes (and a file) by its secretary."""
    settings.MEDIA_ROOT = tmp_path
    seed_types(cast)
    meeting = activity_at(cast.west_secretary, cast.committee, minutes_from_now(10), type_name="主题党日",
                          organiser_branch=cast.west, audience_kind=AudienceKind.BRANCH, audience_branch=cast.west)
    pdf = SimpleUploadedFile("会议纪要.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    note = activity_note_create(actor=cast.west_secretary, activity=meeting, kind=NoteKind.DISCUSSION,
                                text="西部支部的讨论记录", files=[pdf])
    return meeting, note


def test_a_walk_in_by_a_forwarded_link_is_flagged_and_sees_no_notes(client, cast, west_meeting):
    meeting, note = west_meeting
    client.force_login(cast.plain_member)  # 张伟明 of the east branch got the link forwarded
    response = client.post(url(meeting))
    assert 'id="checkin-walk-in"' in body(response) and "非应到人员" in body(response)
    row = Attendance.objects.get(activity=meeting, member=cast.me)
    assert row.walk_in and row.status == "present"
    notes = client.get(reverse("content:activity_notes", args=[meeting.pk]), HTTP_HX_REQUEST="true")
    assert "西部支部的讨论记录" not in body(notes)
    assert client.get(reverse("content:attachment", args=[note.attachments.get().pk])).status_code == 404
    client.force_login(cast.admin)  # staff who may see 张伟明 find the walk-in marked on the activity page
    assert "非应到人员" in body(client.get(reverse("activities:detail", args=[meeting.pk])))


def test_an_invited_member_checking_in_is_no_walk_in_and_reads_the_notes(client, cast, west_meeting):
    from taizhang.members.models import Member
    from taizhang.members.tests.factories import UserFactory, grant

    meeting, note = west_meeting
    west_user = UserFactory(username="zhaolihua")
    grant(west_user, "member", cast.committee)
    Member.objects.filter(pk=cast.west_members[0].pk).update(user=west_user)
    client.force_login(west_user)
    response = client.post(url(meeting))
    assert _("Checked in successfully") in body(response) and 'id="checkin-walk-in"' not in body(response)
    assert not Attendance.objects.get(activity=meeting, member=cast.west_members[0]).walk_in
    notes = client.get(reverse("content:activity_notes", args=[meeting.pk]), HTTP_HX_REQUEST="true")
    assert "西部支部的讨论记录" in body(notes)
    assert client.get(reverse("content:attachment", args=[note.attachments.get().pk])).status_code == 200


def test_staff_recording_someone_outside_the_audience_flags_a_walk_in(cast, west_meeting):
    from taizhang.activities.services import attendance_record

    meeting, _note = west_meeting
    row = attendance_record(actor=cast.admin, activity=meeting, member=cast.me, status="present",
                            now=meeting.starts_at)
    assert row.walk_in
    assert not attendance_record(actor=cast.admin, activity=meeting, member=cast.west_members[1], status="present",
                                 now=meeting.starts_at).walk_in
