"""Reflections and discussion notes (心得体会 / 讨论记录): who may write, who sees what, attachments
(limits, magic-number sniffing, permission-checked downloads), edit and withdraw with audit, and the
pages for every role of the cast."""

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.activities.content_services import (
    activity_note_create,
    activity_note_update,
    activity_note_withdraw,
    clean_files,
)
from taizhang.activities.models import ActivityNote, AttendanceStatus, AudienceKind, NoteAttachment, NoteKind
from taizhang.activities.services import attendance_record
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"
EXE = b"MZ\x90\x00" + b"\x00" * 64


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def docx_bytes(folder="word/"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(folder + "document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def activity(cast):
    """A committee-wide study on 2026-06-12 that 张伟明 (east) and 赵丽华 (west) attended."""
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee, title="集体学习：学习党章")
    attendance_record(actor=cast.admin, activity=activity, member=cast.me, status=AttendanceStatus.PRESENT)
    attendance_record(actor=cast.admin, activity=activity, member=cast.west_members[0],
                      status=AttendanceStatus.PRESENT)
    return activity


@pytest.fixture
def west_activity(cast):
    seed_types(cast)
    return make_activity(cast.west_secretary, cast.committee, title="西部支部主题党日", type_name="主题党日",
                         organiser_branch=cast.west, audience_kind=AudienceKind.BRANCH, audience_branch=cast.west)


def login(client, cast, user):
    client.force_login(user)
    return client


# --- services ---------------------------------------------------------------------------------------------


def test_member_writes_reflection_with_photo_audited(cast, activity, media):
    note = activity_note_create(actor=cast.plain_member, activity=activity, kind=NoteKind.REFLECTION,
                                text="学习党章，收获很大。", files=[upload("合影.png", PNG, "image/png")])
    assert note.member == cast.me and note.written_by == cast.plain_member
    attachment = note.attachments.get()
    assert attachment.original_name == "合影.png"
    assert attachment.content_type == "image/png"
    assert attachment.size == len(PNG) and len(attachment.sha256) == 64
    assert attachment.file.name.startswith(f"activity_notes/{activity.pk}/")
    assert (media / attachment.file.name).read_bytes() == PNG
    entry = AuditEntry.objects.get(action="activity_note.create")
    assert entry.new_values["files"][0]["name"] == "合影.png"


def test_member_not_invited_cannot_write_reflection(cast, west_activity):
    with pytest.raises(PermissionDenied):
        activity_note_create(actor=cast.plain_member, activity=west_activity, kind=NoteKind.REFLECTION, text="x")


def test_invited_member_may_write_without_attending(cast):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee)
    note = activity_note_create(actor=cast.plain_member, activity=activity, kind=NoteKind.REFLECTION, text="请假补学")
    assert note.member == cast.me


def test_staff_cannot_write_reflection_without_member_record(cast, activity):
    with pytest.raises(PermissionDenied):
        activity_note_create(actor=cast.admin, activity=activity, kind=NoteKind.REFLECTION, text="x")


def test_discussion_notes_by_organiser_staff_only(cast, activity, west_activity):
    note = activity_note_create(actor=cast.admin, activity=activity, kind=NoteKind.DISCUSSION, text="大家踊跃发言")
    assert note.member is None
    activity_note_create(actor=cast.west_secretary, activity=west_activity, kind=NoteKind.DISCUSSION, text="讨论")
    for user in (cast.east_secretary, cast.study, cast.plain_member, cast.outsider):
        with pytest.raises(PermissionDenied):
            activity_note_create(actor=user, activity=west_activity, kind=NoteKind.DISCUSSION, text="x")
    # a branch secretary does not keep the minutes of a committee activity
    with pytest.raises(PermissionDenied):
        activity_note_create(actor=cast.east_secretary, activity=activity, kind=NoteKind.DISCUSSION, text="x")


def test_empty_text_is_refused_with_chinese_message(cast, activity):
    with pytest.raises(ValidationError) as exc:
        activity_note_create(actor=cast.plain_member, activity=activity, kind=NoteKind.REFLECTION, text="  ")
    assert "text" in exc.value.message_dict
    assert not ActivityNote.objects.exists()


@pytest.mark.parametrize("name,content,ok", [
    ("a.png", PNG, True),
    ("a.JPG", JPEG, True),
    ("说明.pdf", PDF, True),
    ("讲话.docx", docx_bytes("word/"), True),
    ("名单.xlsx", docx_bytes("xl/"), True),
    ("名单.xlsx", docx_bytes("word/"), False),  # a Word file renamed .xlsx
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, True),
    ("心得.txt", "学习心得".encode(), True),
    ("心得.txt", "学习心得".encode("gb18030"), True),
    ("photo.png", EXE, False),  # a renamed program
    ("setup.exe", EXE, False),
    ("a.txt", b"\x00\x01binary", False),
])
def test_file_types_are_sniffed(settings, name, content, ok):
    if ok:
        assert clean_files([upload(name, content)])[0].name == name
    else:
        with pytest.raises(ValidationError) as exc:
            clean_files([upload(name, content)])
        assert name in " ".join(exc.value.message_dict["files"])


def test_size_and_count_limits(settings, cast, activity):
    settings.CONTENT_MAX_FILE_MB = 1
    big = upload("大照片.png", PNG + b"\x00" * (1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        activity_note_create(actor=cast.plain_member, activity=activity, kind=NoteKind.REFLECTION, text="x",
                             files=[big])
    assert "大照片.png" in exc.value.message_dict["files"][0] and "1" in exc.value.message_dict["files"][0]
    six = [upload(f"{i}.png", PNG) for i in range(6)]
    with pytest.raises(ValidationError):
        activity_note_create(actor=cast.plain_member, activity=activity, kind=NoteKind.REFLECTION, text="x",
                             files=six)
    assert not ActivityNote.objects.exists() and not NoteAttachment.objects.exists()


def test_author_edits_adds_and_removes_files_audited(cast, activity):
    note = activity_note_create(actor=cast.plain_member, activity=activity, kind=NoteKind.REFLECTION, text="初稿",
                                files=[upload("a.png", PNG)])
    first = note.attachments.get()
    activity_note_update(actor=cast.plain_member, note=note, text="修改稿", add_files=[upload("b.pdf", PDF)],
                         remove_attachments=[first.pk])
    note.refresh_from_db()
    assert note.text == "修改稿" and note.edited_at is not None
    assert [a.original_name for a in note.attachments.filter(removed=False)] == ["b.pdf"]
    entry = AuditEntry.objects.get(action="activity_note.update")
    assert entry.old_values["text"] == "初稿" and entry.new_values["text"] == "修改稿"
    with pytest.raises(PermissionDenied):
        activity_note_update(actor=cast.admin, note=note, text="别人改")


def test_edit_respects_file_count_with_existing(settings, cast, activity):
    settings.CONTENT_MAX_FILES_PER_NOTE = 2
    note = activity_note_create(actor=cast.plain_member, activity=activity, kind=NoteKind.REFLECTION, text="x",
                                files=[upload("a.png", PNG), upload("b.png", PNG)])
    with pytest.raises(ValidationError):
        activity_note_update(actor=cast.plain_member, note=note, text="x", add_files=[upload("c.png", PNG)])


def test_withdraw_by_author_or_staff_hides_note(cast, activity):
    note = activity_note_create(actor=cast.plain_member, activity=activity, kind=NoteKind.REFLECTION, text="x")
    with pytest.raises(PermissionDenied):
        activity_note_withdraw(actor=cast.west_secretary, note=note)
    activity_note_withdraw(actor=cast.admin, note=note)
    note.refresh_from_db()
    assert note.withdrawn and AuditEntry.objects.filter(action="activity_note.withdraw").count() == 1
    with pytest.raises(ValidationError):
        activity_note_withdraw(actor=cast.plain_member, note=note)


# --- visibility and pages ---------------------------------------------------------------------------------


@pytest.fixture
def notes(cast, activity):
    mine = activity_note_create(actor=cast.plain_member, activity=activity, kind=NoteKind.REFLECTION,
                                text="张伟明的心得", files=[upload("合影.png", PNG)])
    west_user = cast.west_secretary.__class__.objects.create_user(username="zhaolihua", password=cast.password)
    from taizhang.members.tests.factories import grant

    grant(west_user, "member", cast.committee)
    cast.west_members[0].user = west_user
    cast.west_members[0].save(update_fields=["user"])
    west = activity_note_create(actor=west_user, activity=activity, kind=NoteKind.REFLECTION, text="赵丽华的心得",
                                files=[upload("心得.pdf", PDF)])
    minutes = activity_note_create(actor=cast.admin, activity=activity, kind=NoteKind.DISCUSSION, text="讨论记录正文")
    return {"mine": mine, "west": west, "minutes": minutes, "west_user": west_user}


EXPECTED_TEXTS = {
    "admin": {"张伟明的心得", "赵丽华的心得", "讨论记录正文"},
    "study": {"张伟明的心得", "赵丽华的心得", "讨论记录正文"},
    "east_secretary": {"张伟明的心得", "讨论记录正文"},
    "west_secretary": {"赵丽华的心得", "讨论记录正文"},
    "plain_member": {"张伟明的心得", "讨论记录正文"},
}


@pytest.mark.parametrize("role", ["admin", "study", "east_secretary", "west_secretary", "plain_member",
                                  "outsider", "auditor"])
def test_notes_panel_scoping(client, cast, activity, notes, role):
    client.force_login(getattr(cast, role))
    response = client.get(reverse("content:activity_notes", args=[activity.pk]), HTTP_HX_REQUEST="true")
    if role in ("outsider", "auditor"):
        assert response.status_code == 404
        return
    assert response.status_code == 200
    text = response.content.decode()
    shown = {t for t in ("张伟明的心得", "赵丽华的心得", "讨论记录正文") if t in text}
    assert shown == EXPECTED_TEXTS[role]
    assert ("write-reflection" in text) == (role == "plain_member")
    assert ("write-discussion" in text) == (role == "admin")


def test_full_page_without_htmx(client, cast, activity, notes):
    client.force_login(cast.plain_member)
    response = client.get(reverse("content:activity_notes", args=[activity.pk]))
    assert response.status_code == 200 and "<html" in response.content.decode()


def test_member_does_not_see_discussion_of_activity_not_attended(cast, client):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee)
    activity_note_create(actor=cast.admin, activity=activity, kind=NoteKind.DISCUSSION, text="只给到会的人看")
    client.force_login(cast.plain_member)
    response = client.get(reverse("content:activity_notes", args=[activity.pk]), HTTP_HX_REQUEST="true")
    assert "只给到会的人看" not in response.content.decode()


@pytest.mark.parametrize("role,status", [("admin", 200), ("study", 200), ("east_secretary", 200),
                                         ("west_secretary", 404), ("plain_member", 200), ("outsider", 404),
                                         ("auditor", 404)])
def test_attachment_download_permission(client, cast, notes, role, status):
    attachment = notes["mine"].attachments.get()
    client.force_login(getattr(cast, role))
    response = client.get(reverse("content:attachment", args=[attachment.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Disposition"].startswith("attachment")
        assert "filename*=utf-8''%E5%90%88%E5%BD%B1.png" in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == PNG


def test_image_inline_and_removed_attachment_gone(client, cast, notes):
    attachment = notes["mine"].attachments.get()
    client.force_login(cast.plain_member)
    response = client.get(reverse("content:attachment", args=[attachment.pk]) + "?inline=1")
    assert response["Content-Disposition"].startswith("inline") and response["Content-Type"] == "image/png"
    pdf = notes["west"].attachments.get()
    client.force_login(notes["west_user"])
    response = client.get(reverse("content:attachment", args=[pdf.pk]) + "?inline=1")
    assert response["Content-Disposition"].startswith("attachment")  # only images inline
    activity_note_withdraw(actor=cast.plain_member, note=notes["mine"])
    client.force_login(cast.plain_member)
    assert client.get(reverse("content:attachment", args=[attachment.pk])).status_code == 404


def test_write_reflection_through_page(client, cast, activity):
    client.force_login(cast.plain_member)
    url = reverse("content:note_create", args=[activity.pk, "reflection"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"text": "通过页面写的心得", "files": [upload("a.png", PNG), upload("b.pdf", PDF)]})
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:detail", args=[activity.pk]) + "#notes"
    note = ActivityNote.objects.get()
    assert note.attachments.count() == 2


def test_page_shows_chinese_error_for_renamed_exe(client, cast, activity):
    client.force_login(cast.plain_member)
    url = reverse("content:note_create", args=[activity.pk, "reflection"])
    response = client.post(url, {"text": "x", "files": [upload("照片.jpg", EXE)]})
    assert response.status_code == 200
    assert "照片.jpg" in response.content.decode()
    assert not ActivityNote.objects.exists()


@pytest.mark.parametrize("role,status", [("admin", 403), ("east_secretary", 403), ("study", 403),
                                         ("plain_member", 200), ("outsider", 404), ("auditor", 404)])
def test_reflection_form_scoping(client, cast, activity, role, status):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("content:note_create", args=[activity.pk, "reflection"])).status_code == status


@pytest.mark.parametrize("role,status", [("admin", 200), ("east_secretary", 403), ("west_secretary", 403),
                                         ("study", 403), ("plain_member", 403), ("outsider", 404)])
def test_discussion_form_scoping(client, cast, activity, role, status):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("content:note_create", args=[activity.pk, "discussion"])).status_code == status


def test_edit_page_only_author(client, cast, notes):
    url = reverse("content:note_edit", args=[notes["mine"].pk])
    client.force_login(cast.admin)
    assert client.get(url).status_code == 403
    client.force_login(cast.plain_member)
    assert client.get(url).status_code == 200
    response = client.post(url, {"text": "改过的心得", "remove": [str(notes["mine"].attachments.get().pk)]})
    assert response.status_code == 302
    notes["mine"].refresh_from_db()
    assert notes["mine"].text == "改过的心得" and not notes["mine"].attachments.filter(removed=False).exists()


def test_withdraw_page(client, cast, notes):
    client.force_login(cast.west_secretary)
    assert client.post(reverse("content:note_withdraw", args=[notes["mine"].pk])).status_code == 404
    client.force_login(cast.plain_member)
    assert client.post(reverse("content:note_withdraw", args=[notes["mine"].pk])).status_code == 302
    assert ActivityNote.objects.get(pk=notes["mine"].pk).withdrawn


@pytest.mark.parametrize("role", ["admin", "east_secretary", "plain_member", "outsider", "auditor"])
def test_my_notes_page(client, cast, notes, role):
    client.force_login(getattr(cast, role))
    response = client.get(reverse("content:my_notes"))
    assert response.status_code == 200
    text = response.content.decode()
    assert ("张伟明的心得" in text) == (role == "plain_member")
    assert ("讨论记录正文" in text) == (role == "admin")  # the notes they wrote
    assert "赵丽华的心得" not in text


def _queries(client, url, **headers):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **headers).status_code == 200
    return len(ctx)


def test_notes_panel_and_my_notes_query_counts_do_not_grow(client, cast, activity):
    client.force_login(cast.plain_member)
    panel = reverse("content:activity_notes", args=[activity.pk])
    mine = reverse("content:my_notes")
    activity_note_create(actor=cast.plain_member, activity=activity, kind=NoteKind.REFLECTION, text="1",
                         files=[upload("a.png", PNG)])
    activity_note_create(actor=cast.admin, activity=activity, kind=NoteKind.DISCUSSION, text="d1")
    before = (_queries(client, panel, HTTP_HX_REQUEST="true"), _queries(client, mine))
    for i in range(5):
        activity_note_create(actor=cast.plain_member, activity=activity, kind=NoteKind.REFLECTION, text=f"n{i}",
                             files=[upload("a.png", PNG), upload("b.pdf", PDF)])
        activity_note_create(actor=cast.admin, activity=activity, kind=NoteKind.DISCUSSION, text=f"d{i}")
    after = (_queries(client, panel, HTTP_HX_REQUEST="true"), _queries(client, mine))
    assert after == before
