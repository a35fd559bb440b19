"""Study content (学习内容): publishing by the 学习委员, audiences, marking read once (and the points hook),
who has / has not read it, and the pages for every role of the cast."""

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.activities import hooks
from taizhang.activities.content_selectors import study_read_counts
from taizhang.activities.content_services import (
    study_item_create,
    study_item_mark_read,
    study_item_update,
    study_item_withdraw,
)
from taizhang.activities.models import AudienceKind, StudyItem, StudyKind, StudyRead
from taizhang.core.models import AuditEntry
from taizhang.members.tests.factories import grant

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def publish(cast, title="六月每月一学：党章第一章", actor=None, **kwargs):
    import datetime

    data = {"kind": StudyKind.MONTHLY, "title": title, "body": "学习党章总纲。", "month": datetime.date(2026, 6, 1)}
    data.update(kwargs)
    return study_item_create(actor=actor or cast.study, committee=cast.committee, **data)


@pytest.fixture
def items(cast):
    return {
        "all": publish(cast, "全体：每月一学"),
        "east": publish(cast, "东部：微党课", kind=StudyKind.MICRO_LESSON, month=None,
                        audience_kind=AudienceKind.BRANCH, audience_branch=cast.east),
        "west": publish(cast, "西部：学习材料", kind=StudyKind.OTHER, month=None, link="https://www.12371.cn/",
                        body="", audience_kind=AudienceKind.BRANCH, audience_branch=cast.west),
    }


# --- services ---------------------------------------------------------------------------------------------


def test_publish_needs_study_publish_capability(cast):
    assert publish(cast).published_by == cast.study
    assert publish(cast, actor=cast.admin).pk
    for user in (cast.east_secretary, cast.plain_member, cast.outsider, cast.auditor):
        with pytest.raises(PermissionDenied):
            publish(cast, actor=user)
    entry = AuditEntry.objects.filter(action="study_item.create").first()
    assert entry.new_values["title"] == "六月每月一学：党章第一章"


@pytest.mark.parametrize("data,field", [
    ({"title": ""}, "title"),
    ({"link": "javascript:alert(1)", "body": ""}, "link"),
    ({"link": "ftp://example.com/a", "body": ""}, "link"),
    ({"body": "", "link": ""}, "body"),
    ({"month": None}, "month"),
    ({"audience_kind": AudienceKind.BRANCH}, "audience_branch"),
    ({"kind": "bogus"}, "kind"),
])
def test_invalid_items_name_the_field(cast, data, field):
    with pytest.raises(ValidationError) as exc:
        publish(cast, **data)
    assert field in exc.value.message_dict
    assert not StudyItem.objects.exists()


def test_file_attachment_is_sniffed(cast):
    item = publish(cast, file=SimpleUploadedFile("党章.pdf", PDF), body="")
    assert item.file_name == "党章.pdf" and item.file_content_type == "application/pdf"
    assert item.file.name.startswith(f"study_items/{cast.committee.pk}/")
    with pytest.raises(ValidationError) as exc:
        publish(cast, file=SimpleUploadedFile("党章.pdf", b"MZ\x90\x00program"), body="")
    assert "党章.pdf" in exc.value.message_dict["files"][0]


def test_update_and_withdraw_audited(cast, items):
    item = study_item_update(actor=cast.study, item=items["all"], data={"title": "新标题"})
    assert item.title == "新标题"
    assert AuditEntry.objects.get(action="study_item.update").old_values == {"title": "全体：每月一学"}
    with pytest.raises(PermissionDenied):
        study_item_update(actor=cast.east_secretary, item=item, data={"title": "x"})
    study_item_withdraw(actor=cast.study, item=item)
    with pytest.raises(ValidationError):
        study_item_mark_read(actor=cast.plain_member, item=item)


def test_mark_read_once_calls_points_hook(cast, items, monkeypatch):
    heard = []
    monkeypatch.setattr(hooks.study_item_read, "_listeners", hooks.study_item_read._listeners)  # restored after
    hooks.study_item_read.connect(lambda **kw: heard.append(kw), key="heard")
    read, created = study_item_mark_read(actor=cast.plain_member, item=items["all"])
    assert created and read.member == cast.me
    again, created_again = study_item_mark_read(actor=cast.plain_member, item=items["all"])
    assert not created_again and again.pk == read.pk
    assert len(heard) == 1 and heard[0]["member"] == cast.me and heard[0]["item"].pk == items["all"].pk
    assert AuditEntry.objects.filter(action="study_item.read").count() == 1
    # what the points engine books the read on: the local publication day and the committee
    assert items["all"].date == timezone.localdate(items["all"].published_at)
    assert items["all"].committee_id == cast.committee.pk


def test_failing_listener_undoes_the_read(cast, items, monkeypatch):
    def boom(**kw):
        raise RuntimeError("points down")

    monkeypatch.setattr(hooks.study_item_read, "_listeners", hooks.study_item_read._listeners)  # restored after
    hooks.study_item_read.connect(boom, order=999)  # after points have booked the read
    with pytest.raises(RuntimeError):
        study_item_mark_read(actor=cast.plain_member, item=items["all"])
    assert not StudyRead.objects.exists()


def test_mark_read_only_own_and_in_audience(cast, items):
    with pytest.raises(ValidationError):
        study_item_mark_read(actor=cast.plain_member, item=items["west"])  # 张伟明 is in 东部
    with pytest.raises(PermissionDenied):
        study_item_mark_read(actor=cast.admin, item=items["all"])  # no member record
    with pytest.raises(PermissionDenied):
        study_item_mark_read(actor=cast.admin, item=items["all"], member=cast.me)


def test_read_counts_scoped(cast, items):
    study_item_mark_read(actor=cast.plain_member, item=items["all"])
    study_item_mark_read(actor=cast.plain_member, item=items["east"])
    all_items = list(StudyItem.objects.select_related("audience_group"))
    counts = study_read_counts(all_items, cast.admin)
    assert counts[items["all"].pk] == (1, 6)
    assert counts[items["east"].pk] == (1, 3)
    assert counts[items["west"].pk] == (0, 2)
    assert study_read_counts(all_items, cast.west_secretary)[items["all"].pk] == (0, 2)


# --- pages ------------------------------------------------------------------------------------------------

LIST_EXPECTED = {
    "admin": {"全体：每月一学", "东部：微党课", "西部：学习材料"},
    "study": {"全体：每月一学", "东部：微党课", "西部：学习材料"},
    "east_secretary": {"全体：每月一学", "东部：微党课"},
    "west_secretary": {"全体：每月一学", "西部：学习材料"},
    "plain_member": {"全体：每月一学", "东部：微党课"},
}


@pytest.mark.parametrize("role", ["admin", "study", "east_secretary", "west_secretary", "plain_member",
                                  "outsider", "auditor"])
def test_study_list_scoping(client, cast, items, role):
    client.force_login(getattr(cast, role))
    response = client.get(reverse("content:study_list"))
    if role in ("outsider", "auditor"):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    text = response.content.decode()
    assert {t for t in ("全体：每月一学", "东部：微党课", "西部：学习材料") if t in text} == LIST_EXPECTED[role]
    assert ("publish-button" in text) == (role in ("admin", "study"))


def test_member_list_unread_first_and_mark_read_htmx(client, cast, items):
    study_item_mark_read(actor=cast.plain_member, item=items["east"])
    client.force_login(cast.plain_member)
    text = client.get(reverse("content:study_list")).content.decode()
    assert text.index("全体：每月一学") < text.index("东部：微党课")  # unread first
    response = client.post(reverse("content:study_mark_read", args=[items["all"].pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert StudyRead.objects.filter(item=items["all"], member=cast.me).exists()


@pytest.mark.parametrize("role,status", [("admin", 200), ("study", 200), ("east_secretary", 404),
                                         ("west_secretary", 200), ("plain_member", 404), ("outsider", 404),
                                         ("auditor", 404)])
def test_study_detail_scoping(client, cast, items, role, status):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("content:study_detail", args=[items["west"].pk])).status_code == status


def test_withdrawn_item_hidden_from_members(client, cast, items):
    study_item_withdraw(actor=cast.study, item=items["all"])
    client.force_login(cast.plain_member)
    assert client.get(reverse("content:study_detail", args=[items["all"].pk])).status_code == 404
    client.force_login(cast.study)
    assert "全体：每月一学" in client.get(reverse("content:study_list")).content.decode()


@pytest.mark.parametrize("role,status", [("admin", 200), ("study", 200), ("east_secretary", 403),
                                         ("plain_member", 403), ("outsider", 403), ("auditor", 403)])
def test_study_create_page_scoping(client, cast, role, status):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("content:study_create")).status_code == status


def test_publish_through_page_and_errors(client, cast):
    client.force_login(cast.study)
    url = reverse("content:study_create")
    bad = client.post(url, {"kind": "monthly", "title": "七月每月一学", "month": "2026-07", "link": "javascript:x",
                            "audience_kind": "committee"})
    assert bad.status_code == 200 and "http://" in bad.content.decode()
    response = client.post(url, {"kind": "monthly", "title": "七月每月一学", "month": "2026-07",
                                 "body": "学习内容", "audience_kind": "committee",
                                 "file": SimpleUploadedFile("材料.pdf", PDF)})
    item = StudyItem.objects.get()
    assert response.status_code == 302 and item.month.isoformat() == "2026-07-01"
    client.force_login(cast.plain_member)
    download = client.get(reverse("content:study_file", args=[item.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("role,status", [("admin", 200), ("study", 200), ("east_secretary", 403),
                                         ("plain_member", 403), ("outsider", 404)])
def test_study_edit_and_withdraw_scoping(client, cast, items, role, status):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("content:study_edit", args=[items["all"].pk])).status_code == status
    response = client.post(reverse("content:study_withdraw", args=[items["all"].pk]))
    assert response.status_code == (302 if status == 200 else status)


READERS_EXPECTED = {
    "admin": {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"},
    "study": {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"},
    "east_secretary": {"张伟明", "李秀英", "王建国"},
    "west_secretary": {"赵丽华", "陈刚"},
}


@pytest.mark.parametrize("role", ["admin", "study", "east_secretary", "west_secretary", "plain_member",
                                  "outsider", "auditor"])
def test_readers_page_scoping(client, cast, items, role):
    study_item_mark_read(actor=cast.plain_member, item=items["all"])
    client.force_login(getattr(cast, role))
    response = client.get(reverse("content:study_readers", args=[items["all"].pk]))
    if role not in READERS_EXPECTED:
        assert response.status_code in (403, 404)
        return
    assert response.status_code == 200
    text = response.content.decode()
    names = {n for n in READERS_EXPECTED["admin"] if n in text}
    assert names == READERS_EXPECTED[role]
    expected_read = 1 if role in ("admin", "study", "east_secretary") else 0
    assert response.context["n_read"] == expected_read
    not_read = {m.name for m in response.context["rows"] if m.read_at is None}
    assert "张伟明" not in not_read


def test_readers_export_xlsx(client, cast, items):
    study_item_mark_read(actor=cast.plain_member, item=items["all"])
    client.force_login(cast.east_secretary)
    response = client.get(reverse("content:study_readers", args=[items["all"].pk]) + "?format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4  # header + the 3 east members
    assert {r[0] for r in rows[1:]} == {"张伟明", "李秀英", "王建国"}


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_study_list_and_readers_query_counts_do_not_grow(client, cast, items):
    user = cast.plain_member.__class__.objects.create_user(username="lixiuying", password=cast.password)
    grant(user, "member", cast.committee)
    li = cast.east_members[1]
    li.user = user
    li.save(update_fields=["user"])
    staff_list = reverse("content:study_list")
    readers = reverse("content:study_readers", args=[items["all"].pk])
    client.force_login(cast.study)
    _queries(client, readers)  # the first visit fills the cached roster per branch (its generation's)
    staff_before, readers_before = _queries(client, staff_list), _queries(client, readers)
    client.force_login(cast.plain_member)
    member_before = _queries(client, staff_list)
    for i in range(6):
        item = publish(cast, f"更多材料{i}", kind=StudyKind.OTHER, month=None)
        study_item_mark_read(actor=cast.plain_member, item=item)
        study_item_mark_read(actor=user, item=item)
    study_item_mark_read(actor=user, item=items["all"])
    client.force_login(cast.study)
    assert (_queries(client, staff_list), _queries(client, readers)) == (staff_before, readers_before)
    client.force_login(cast.plain_member)
    assert _queries(client, staff_list) == member_before


@pytest.mark.parametrize("role,card,unread,plans_link", [
    ("plain_member", True, True, False),
    ("study", True, False, False),
    ("admin", True, False, True),
    ("east_secretary", True, False, True),
    ("outsider", False, False, False),
    ("auditor", False, False, False),
])
def test_home_card(client, cast, items, role, card, unread, plans_link):
    study_item_mark_read(actor=cast.plain_member, item=items["east"])
    client.force_login(getattr(cast, role))
    response = client.get(reverse("home"))
    if response.status_code != 200:
        assert not card
        return
    text = response.content.decode()
    assert ('id="study-home"' in text) == card
    if unread:
        panel = next(p for p in response.context["panels"] if p["key"] == "study")
        assert panel["context"]["unread"] == 1  # 全体 unread, 东部 read, 西部 not for 张伟明
    assert (reverse("content:plans") in text) == plans_link


@pytest.mark.parametrize("role,status", [("admin", 200), ("study", 200), ("east_secretary", 200),
                                         ("west_secretary", 404), ("plain_member", 200), ("outsider", 404),
                                         ("auditor", 404)])
def test_study_file_download_scoping(client, cast, role, status):
    item = publish(cast, "东部：带附件", kind=StudyKind.OTHER, month=None, audience_kind=AudienceKind.BRANCH,
                   audience_branch=cast.east, file=SimpleUploadedFile("学习材料.pdf", PDF))
    client.force_login(getattr(cast, role))
    response = client.get(reverse("content:study_file", args=[item.pk]))
    assert response.status_code == status
    if status == 200:
        assert "filename*=utf-8''" in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize("role,status", [("plain_member", 302), ("admin", 403), ("study", 403),
                                         ("east_secretary", 403), ("outsider", 404), ("auditor", 404)])
def test_mark_read_page_scoping(client, cast, items, role, status):
    client.force_login(getattr(cast, role))
    assert client.post(reverse("content:study_mark_read", args=[items["all"].pk])).status_code == status
    assert StudyRead.objects.exists() == (role == "plain_member")
