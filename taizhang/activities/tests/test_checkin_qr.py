"""QR check-in: signed tokens, the confirm page (no writes on GET), the window, idempotency, tampering."""

import pytest
from django.core.signing import BadSignature
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.activities.checkin import checkin_token, verify_checkin_token
from taizhang.activities.models import Attendance, AudienceKind, CheckInMethod
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
    assert "http://testserver" + url(open_activity) in text
    client.force_login(cast.east_secretary)  # a committee activity: not theirs to manage
    assert client.get(reverse("activities:qr", args=[open_activity.pk])).status_code == 404
    client.force_login(cast.plain_member)
    assert client.get(reverse("activities:qr", args=[open_activity.pk])).status_code == 403
