"""三员分立: the fixed cast's three admin posts see no member data, anywhere.

For every URL that shows, exports, imports or changes people's records (the ledger, a member's page, the
reveal, exports, imports, activities and attendance, notes, study readers, points, reports), each admin
post gets 403 or 404 and the response carries no member's name, ID number or phone. The audit admin's
one page, the audit log, shows personal numbers masked only.
"""

import datetime

import pytest
from django.urls import reverse

from taizhang.activities.tests.factories_reports import report_world
from taizhang.members.models import EventKind

pytestmark = pytest.mark.django_db

ADMIN_POSTS = ["sysadmin", "secadmin", "auditor"]


@pytest.fixture
def world(cast):
    w = report_world(cast)
    from taizhang.points.services import point_rules_seed

    point_rules_seed(actor=cast.admin, committee=cast.committee, effective_from=datetime.date(2017, 9, 1))
    return w


def member_data_urls(cast, world):
    m = cast.east_members[1]
    event = m.events.first()
    activity = world.study
    return [
        reverse("members:list"),
        reverse("members:list") + "?q=" + m.name,
        reverse("members:create"),
        reverse("members:detail", args=[m.pk]),
        reverse("members:edit", args=[m.pk]),
        reverse("members:flow", args=[m.pk, EventKind.LEFT_BEIJING]),
        reverse("members:correct", args=[m.pk, event.pk]),
        reverse("members:note", args=[m.pk]),
        reverse("members:reveal", args=[m.pk, "id_number"]),
        reverse("members:reveal", args=[m.pk, "phone"]),
        reverse("members:export_xlsx"),
        reverse("members:export_csv"),
        reverse("members:roster_print"),
        reverse("members:import_upload"),
        reverse("members:import_template"),
        reverse("activities:create"),
        reverse("activities:detail", args=[activity.pk]),
        reverse("activities:edit", args=[activity.pk]),
        reverse("activities:attendance", args=[activity.pk]),
        reverse("activities:qr", args=[activity.pk]),
        reverse("content:activity_notes", args=[activity.pk]),
        reverse("content:plans"),
        reverse("activity_reports:summary"),
        reverse("activity_reports:export_xlsx"),
        reverse("activity_reports:member", args=[m.pk]),
        reverse("points:approvals"),
        reverse("points:member", args=[m.pk]),
        reverse("points:adjust", args=[m.pk]),
        reverse("points:participation"),
        reverse("points:rules"),
        reverse("points:settings"),
        reverse("points:import"),
        reverse("points:import_template"),
    ]


def personal_data(cast) -> list[str]:
    values = []
    for m in cast.members:
        values += [m.name, m.id_number, m.phone, m.id_number_masked, m.phone_masked]
    return values


def leaks(response, cast) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    return [v for v in personal_data(cast) if v and v in text]


@pytest.mark.parametrize("who", ADMIN_POSTS)
def test_admin_posts_get_no_member_data_from_any_member_url(client, cast, world, who):
    client.force_login(getattr(cast, who))
    wrong = []
    for url in member_data_urls(cast, world):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code not in (403, 404, 405) or leaks(response, cast):
                wrong.append((method, url, response.status_code, leaks(response, cast)))
    assert not wrong


@pytest.mark.parametrize("who", ADMIN_POSTS)
def test_admin_posts_pages_they_may_open_show_no_member_data(client, cast, world, who):
    client.force_login(getattr(cast, who))
    for url in [reverse("home"), reverse("activities:list"), reverse("content:study_list"), reverse("points:mine"),
                reverse("activity_reports:calendar"), reverse("accounts:password_change")]:
        response = client.get(url)
        assert response.status_code in (200, 403, 404), url
        assert not leaks(response, cast), url


def test_the_audit_admin_reads_the_log_with_personal_numbers_masked(client, cast, world):
    client.force_login(cast.auditor)
    response = client.get(reverse("core:audit"))
    assert response.status_code == 200
    text = response.content.decode()
    assert not [n for m in cast.members for n in (m.id_number, m.phone) if n in text]


@pytest.mark.parametrize("who", ["sysadmin", "secadmin"])
def test_only_the_audit_admin_reads_the_audit_log(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("core:audit")).status_code == 403


def test_the_admin_posts_roles_give_no_member_scope(cast):
    from taizhang.core.permissions import EDIT, REVEAL, VIEW, user_scope

    for who in ADMIN_POSTS:
        for purpose in (VIEW, EDIT, REVEAL):
            assert user_scope(getattr(cast, who), purpose).empty, (who, purpose)


@pytest.mark.parametrize("who", ADMIN_POSTS)
def test_ledger_commands_as_an_admin_post_are_refused(cast, who, tmp_path):
    from django.core.management import CommandError, call_command

    out = tmp_path / "ledger.csv"
    with pytest.raises(CommandError):
        call_command("export_members", str(out), "--as", who)
    assert not out.exists()
    call_command("export_members", str(out))  # the operator's export, to import back
    with pytest.raises((CommandError, SystemExit)):
        call_command("import_members", str(out), "--commit", "--as", who)
