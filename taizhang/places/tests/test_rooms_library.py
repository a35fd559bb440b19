"""The reading corner (loans: no copy left, overdue) and the archive corner (who sees the documents, every
download audited); query counts of every list of the rooms area."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.core.models import AuditEntry
from taizhang.places import rooms_selectors as sel
from taizhang.places import rooms_services as svc
from taizhang.places.models import ArchiveDocument, Loan
from taizhang.places.tests.rooms_fixtures import at, make_room

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _book(cast, copies=1, title="红岩"):
    return svc.book_create(actor=cast.admin, committee=cast.committee, title=title, author="罗广斌", copies=copies)


def test_lending_stops_when_no_copy_is_left(cast, client):
    book = _book(cast, copies=2)
    client.force_login(cast.east_secretary)
    assert client.post(reverse("places:book_lend", args=[book.pk]), {"member": "李秀英"}).status_code == 302
    assert client.post(reverse("places:book_lend", args=[book.pk]), {"member": "wangjianguo"}).status_code == 302
    response = client.post(reverse("places:book_lend", args=[book.pk]), {"member": "张伟明"}, follow=True)
    assert "已无可借的册数" in response.content.decode()
    assert Loan.objects.count() == 2
    loan = Loan.objects.get(member__name="李秀英")
    assert loan.due_on == loan.out_on + datetime.timedelta(days=30)
    # a member the secretary cannot see is not found
    response = client.post(reverse("places:book_lend", args=[book.pk]), {"member": "陈刚"}, follow=True)
    assert "没有与“陈刚”匹配的党员" in response.content.decode()
    # a return frees a copy
    client.post(reverse("places:loan_return", args=[loan.pk]))
    loan.refresh_from_db()
    assert loan.back_on == timezone.localdate()
    with pytest.raises(ValidationError):
        svc.loan_return(actor=cast.admin, loan=loan)
    svc.loan_create(actor=cast.admin, book=book, member=cast.me)
    assert AuditEntry.objects.filter(action="places.loan_create").count() == 3


def test_overdue_list_and_my_loans(cast, client):
    book = _book(cast, copies=3)
    today = timezone.localdate()
    late = svc.loan_create(actor=cast.admin, book=book, member=cast.me, out_on=today - datetime.timedelta(days=40))
    svc.loan_create(actor=cast.admin, book=book, member=cast.members_by_name["陈刚"])
    client.force_login(cast.admin)
    page = client.get(reverse("places:loan_list"), {"overdue": "1"}).content.decode()
    assert "张伟明" in page and "陈刚" not in page
    assert list(sel.overdue(cast.committee)) == [late]
    assert sel.summary_counts(cast.committee) | {"rooms": 0} == {"rooms": 0, "bookings_this_month": 0,
                                                                  "loans_out": 2, "overdue": 1}
    client.force_login(cast.plain_member)
    assert client.get(reverse("places:loan_list")).status_code == 403
    page = client.get(reverse("places:my_loans")).content.decode()
    assert "红岩" in page and (late.due_on.isoformat() in page)
    client.force_login(cast.outsider)
    assert client.get(reverse("places:my_loans")).status_code == 403


def test_archive_documents_are_seen_only_by_editors_and_downloads_are_audited(cast, client):
    me = cast.me  # east
    client.force_login(cast.east_secretary)
    response = client.post(reverse("places:member_archive", args=[me.pk]), {
        "kind": "introduction", "title": "组织关系介绍信", "file": SimpleUploadedFile("介绍信.pdf", PDF)})
    assert response.status_code == 302
    doc = ArchiveDocument.objects.get()
    # a renamed file is refused, nothing written
    response = client.post(reverse("places:member_archive", args=[me.pk]), {
        "kind": "other", "title": "假文件", "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf")})
    assert response.status_code == 200 and "不是真正的" in response.content.decode()
    assert ArchiveDocument.objects.count() == 1

    url = reverse("places:document_download", args=[doc.pk])
    expected = {cast.admin: 200, cast.east_secretary: 200, cast.west_secretary: 404, cast.study: 404,
                cast.plain_member: 404, cast.outsider: 404, cast.auditor: 404, cast.sysadmin: 404, cast.secadmin: 404}
    for user, status in expected.items():
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user.username
        if status == 200:
            assert b"".join(response.streaming_content) == PDF
        member_page = client.get(reverse("members:detail", args=[me.pk]))
        if member_page.status_code == 200:
            assert ("组织关系介绍信" in member_page.content.decode()) == (status == 200), user.username
        assert client.get(reverse("places:member_archive", args=[me.pk])).status_code in (
            (200,) if status == 200 else (403, 404)), user.username
    downloads = AuditEntry.objects.filter(action="places.document_download", object_id=str(doc.pk))
    assert sorted(downloads.values_list("actor__username", flat=True)) == ["admin", "east_secretary"]
    client.force_login(cast.west_secretary)
    assert "组织关系介绍信" not in client.get(reverse("places:archive_list")).content.decode()


def _count(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_rows(cast, client):
    room = make_room(cast)
    client.force_login(cast.admin)
    book = _book(cast, copies=50)
    urls = [reverse("places:room_list"), reverse("places:room_week", args=[room.pk]),
            reverse("places:room_month", args=[room.pk]), reverse("places:booking_list"),
            reverse("places:book_list"), reverse("places:loan_list"), reverse("places:archive_list"),
            reverse("places:my_loans"), reverse("places:member_archive", args=[cast.me.pk])]

    def add_rows(n):
        for i in range(n):
            make_room(cast, name=f"房间{i}-{n}")
            svc.booking_request(actor=cast.admin, room=room, starts_at=at(8 + i, days=1 + n),
                                ends_at=at(8 + i, 30, days=1 + n), purpose=f"会{i}", confirm=i % 2 == 0)
            svc.booking_request(actor=cast.plain_member, room=room, starts_at=at(8 + i, 30, days=1 + n),
                                ends_at=at(9 + i, days=1 + n), purpose=f"读书{i}")
            _book(cast, title=f"书{i}-{n}")
            member = cast.members[i % len(cast.members)]
            svc.loan_create(actor=cast.admin, book=book, member=member,
                            out_on=timezone.localdate() - datetime.timedelta(days=40))
            svc.document_add(actor=cast.admin, member=member, kind="certificate", title=f"证书{i}",
                             files=[SimpleUploadedFile(f"c{i}.pdf", PDF)])

    add_rows(1)
    before = {u: _count(client, u) for u in urls}
    add_rows(5)
    after = {u: _count(client, u) for u in urls}
    assert before == after
    client.force_login(cast.plain_member)
    before = _count(client, reverse("places:my_loans")), _count(client, reverse("places:room_week", args=[room.pk]))
    add_rows(3)
    assert before == (_count(client, reverse("places:my_loans")),
                      _count(client, reverse("places:room_week", args=[room.pk])))
