"""The readers of a study item (who has read it, who has not) are paged (issue 10): a committee item's
audience is every member, so the page shows one page of them, filtered by read / branch / name, with the
totals per branch from one SQL aggregate; the export streams the whole (filtered) list."""

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.activities import content_views, study_tallies
from taizhang.activities.content_services import study_item_create, study_item_mark_read
from taizhang.activities.models import AudienceKind, StudyKind, StudyRead
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


def publish(cast, **kwargs):
    data = {"kind": StudyKind.MONTHLY, "title": "每月一学", "body": "学习党章。", "month": datetime.date(2026, 6, 1)}
    data.update(kwargs)
    return study_item_create(actor=cast.study, committee=cast.committee, **data)


def _get(client, item, **params):
    return client.get(reverse("content:study_readers", args=[item.pk]), params)


def _names(response):
    return [m.name for m in response.context["rows"]]


def test_page_two_shows_the_next_rows_and_the_totals_stay_those_of_everyone(client, cast, monkeypatch):
    monkeypatch.setattr(content_views, "READERS_PAGE_SIZE", 4)
    item = publish(cast)
    study_item_mark_read(actor=cast.plain_member, item=item)  # 张伟明 (东部)
    client.force_login(cast.study)
    first, second = _get(client, item), _get(client, item, page=2)
    assert len(first.context["rows"]) == 4 and len(second.context["rows"]) == 2
    assert set(_names(first)) | set(_names(second)) == {m.name for m in cast.members}
    assert not set(_names(first)) & set(_names(second))
    assert _names(second)[-1] == "张伟明"  # not read first, the readers last
    assert all(m.read_at is None for m in first.context["rows"])
    total = first.context["total"]
    assert (total.audience, total.read, total.not_read, total.rate_percent) == (6, 1, 5, 17)
    by_branch = {b.name: (b.audience, b.read, b.not_read) for b in first.context["branches"]}
    assert by_branch == {cast.east.name: (3, 1, 2), cast.west.name: (2, 0, 2), cast.central.name: (1, 0, 1)}
    assert second.context["total"] == total
    assert "page=2" in first.content.decode()


def test_filters_read_branch_and_pinyin_search(client, cast):
    item = publish(cast)
    study_item_mark_read(actor=cast.plain_member, item=item)
    client.force_login(cast.admin)
    assert _names(_get(client, item, read="yes")) == ["张伟明"]
    assert set(_names(_get(client, item, read="no"))) == {m.name for m in cast.members} - {"张伟明"}
    assert set(_names(_get(client, item, branch=cast.west.pk))) == {"赵丽华", "陈刚"}
    assert _names(_get(client, item, read="no", branch=cast.east.pk)) == ["李秀英", "王建国"]
    assert _names(_get(client, item, q="lxy")) == ["李秀英"]  # initials, as in the ledger
    assert _names(_get(client, item, q="wangjian")) == ["王建国"]
    assert _names(_get(client, item, q="丽")) == ["赵丽华"]
    # htmx: the list alone comes back, the totals are untouched by the filters
    response = client.get(reverse("content:study_readers", args=[item.pk]), {"read": "no"},
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="readers-list")
    assert 'id="n-expected"' not in response.content.decode() and response.context["total"].audience == 6
    # a branch the user does not see in the audience is refused with the field named
    outside = _get(client, item, branch=999999)
    assert outside.status_code == 200 and outside.context["rows"] == []
    assert "支部" in outside.content.decode() and "alert-warning" in outside.content.decode()


def test_a_branch_secretary_sees_the_totals_of_their_branch_only(client, cast):
    item = publish(cast)
    study_item_mark_read(actor=cast.plain_member, item=item)
    client.force_login(cast.east_secretary)
    response = _get(client, item)
    total = response.context["total"]
    assert (total.audience, total.read) == (3, 1)
    assert [b.name for b in response.context["branches"]] == [cast.east.name]
    assert set(_names(response)) == {m.name for m in cast.east_members}


def test_a_branch_item_counts_its_branch(client, cast):
    item = publish(cast, kind=StudyKind.OTHER, month=None, audience_kind=AudienceKind.BRANCH,
                   audience_branch=cast.west)
    client.force_login(cast.admin)
    response = _get(client, item)
    assert response.context["total"].audience == 2 and set(_names(response)) == {"赵丽华", "陈刚"}


def test_the_readers_page_costs_the_same_queries_for_a_bigger_audience(client, cast):
    item = publish(cast)
    study_item_mark_read(actor=cast.plain_member, item=item)
    client.force_login(cast.study)
    _get(client, item)
    with CaptureQueriesContext(connection) as few:
        _get(client, item)
    with CaptureQueriesContext(connection) as few_filtered:
        _get(client, item, read="no", q="l", branch=cast.west.pk)
    for i in range(60):
        member = make_member(cast.admin, cast.west if i % 2 else cast.east, name=f"新党员{i}")
        if i % 3 == 0:
            StudyRead.objects.create(item=item, member=member)
    study_tallies.rebuild()  # reads written directly (as the benchmark's COPY writes them): tallies rebuilt
    _get(client, item)  # the new members gave the roster a new generation: its counts are cached again
    with CaptureQueriesContext(connection) as many:
        response = _get(client, item)
    with CaptureQueriesContext(connection) as many_filtered:
        _get(client, item, read="no", q="l", branch=cast.west.pk)
    assert response.context["total"].audience == 66 and response.context["total"].read == 21
    assert len(response.context["rows"]) == content_views.READERS_PAGE_SIZE
    assert len(many) <= len(few) and len(many_filtered) <= len(few_filtered)


def test_the_export_streams_the_whole_filtered_list(client, cast):
    item = publish(cast)
    for i in range(60):
        make_member(cast.admin, cast.west, name=f"新党员{i}")
    study_item_mark_read(actor=cast.plain_member, item=item)
    client.force_login(cast.admin)

    def rows(**params):
        response = _get(client, item, format="xlsx", **params)
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        return list(sheet.iter_rows(values_only=True))[1:]

    everyone = rows()
    assert len(everyone) == 66 > content_views.READERS_PAGE_SIZE
    assert rows(read="yes") == [tuple(everyone[-1])] and everyone[-1][0] == "张伟明"
    assert len(rows(read="no", branch=cast.west.pk)) == 62


def test_a_party_group_item_counts_its_group_on_the_list_and_the_readers_page(client, cast):
    from taizhang.activities.content_selectors import study_read_counts
    from taizhang.members.models import Member
    from taizhang.organisation.models import PartyGroup

    group = PartyGroup.objects.create(branch=cast.east, name="望京党小组")
    Member.objects.filter(pk__in=[cast.me.pk, cast.east_members[1].pk]).update(party_group=group)
    item = publish(cast, kind=StudyKind.OTHER, month=None, audience_kind=AudienceKind.PARTY_GROUP, audience_group=group)
    study_item_mark_read(actor=cast.plain_member, item=item)
    client.force_login(cast.admin)
    response = _get(client, item)
    assert (response.context["total"].audience, response.context["total"].read) == (2, 1)
    assert set(_names(response)) == {"张伟明", "李秀英"}
    assert study_read_counts([item], cast.admin) == {item.pk: (1, 2)}
    assert study_read_counts([item], cast.west_secretary) == {item.pk: (0, 0)}


def test_a_large_filtered_export_goes_to_the_background_with_its_filters(client, cast, settings):
    from taizhang.activities.export_jobs import build
    from taizhang.core.models import ExportJob

    settings.EXPORT_BACKGROUND_ROWS = 1
    item = publish(cast)
    study_item_mark_read(actor=cast.plain_member, item=item)
    client.force_login(cast.admin)
    response = _get(client, item, format="xlsx", read="no", branch=cast.east.pk)
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.params == {"item": item.pk, "filters": {"read": "no", "branch": str(cast.east.pk)}}
    export = build(cast.admin, job.params, "xlsx")
    assert export.total == 2 and [row[0] for row in export.rows] == ["李秀英", "王建国"]


def test_the_pager_takes_its_count_from_the_totals_unless_a_name_is_searched(client, cast):
    """The readers' totals have counted the audience already: the page's pager reuses them (read / branch
    filters included) and counts the rows only for a name search; the counts it shows are the rows'."""
    item = publish(cast)
    study_item_mark_read(actor=cast.plain_member, item=item)  # 张伟明 (east) has read it
    client.force_login(cast.admin)
    cases = ({}, {"read": "no"}, {"read": "yes"}, {"branch": cast.west.pk}, {"read": "no", "branch": cast.east.pk})
    for params in cases:
        with CaptureQueriesContext(connection) as ctx:
            response = _get(client, item, **params)
        page = response.context["page"]
        assert page.paginator.count == len(response.context["rows"]), params  # one page: the count is the rows'
        assert not any(q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "members_member"')
                       for q in ctx.captured_queries), params
    with CaptureQueriesContext(connection) as ctx:
        response = _get(client, item, q="wl")
    assert response.context["page"].paginator.count == len(response.context["rows"])
    assert any(q["sql"].startswith("SELECT COUNT(*)") for q in ctx.captured_queries)
