"""Participation for any period (presets, from/to, old ``year`` links) and platform scores beside the points."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils.translation import gettext as _

from taizhang.members.tests.factories import make_member
from taizhang.points import services
from taizhang.points.imports import parse_period
from taizhang.points.models import ExternalScore, ExternalScoreImport, Platform
from taizhang.points.periods import Period, period_presets, platform_scores
from taizhang.points.tests.helpers import absent, make_activity, present, seed_rules
from taizhang.points.tests.test_views import queries_for

pytestmark = pytest.mark.django_db

URL = "points:participation"


def score(cast, member, period, value, platform=Platform.XUEXI):
    batch = ExternalScoreImport.objects.create(committee=cast.committee, file_name="scores.xlsx", sha256="0" * 64,
                                               imported_by=cast.admin, row_count=1)
    _p, start, end = parse_period(period)
    return ExternalScore.objects.create(score_import=batch, member=member, platform=platform, period=period,
                                        period_start=start, period_end=end, score=Decimal(value))


def test_presets_and_whole_years():
    presets = dict(period_presets(datetime.date(2026, 11, 24)))
    assert (presets["this_year"].start, presets["this_year"].end) == (datetime.date(2026, 1, 1),
                                                                       datetime.date(2026, 12, 31))
    assert presets["last_year"].whole_year == 2025
    assert (presets["this_quarter"].start, presets["this_quarter"].end) == (datetime.date(2026, 10, 1),
                                                                             datetime.date(2026, 12, 31))
    assert (presets["last_quarter"].start, presets["last_quarter"].end) == (datetime.date(2026, 7, 1),
                                                                             datetime.date(2026, 9, 30))
    assert presets["this_quarter"].whole_year is None
    february = dict(period_presets(datetime.date(2027, 2, 3)))
    assert (february["last_quarter"].start, february["last_quarter"].end) == (datetime.date(2026, 10, 1),
                                                                               datetime.date(2026, 12, 31))
    assert (february["this_quarter"].start, february["this_quarter"].end) == (datetime.date(2027, 1, 1),
                                                                               datetime.date(2027, 3, 31))
    assert Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 30)).whole_year is None
    assert Period(datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)).slug == "20260101-20260630"


def world(cast):
    """张伟明: +1 in June, +5 adjustment in March; 赵丽华: −3 in June (absent from 集体学习)."""
    seed_rules(cast)
    activity = make_activity(cast.admin, cast.committee)  # 2026-06-12
    present(cast, activity, cast.me)
    absent(cast, activity, cast.west_members[0])
    services.point_adjustment_create(actor=cast.admin, member=cast.me, points=5, day=datetime.date(2026, 3, 1),
                                     reason="表彰：优秀共产党员")


def points_of(page, member):
    marker = f'data-member="{member.pk}"'
    row = page[page.index(marker):]
    row = row[:row.index("</tr>")]
    return row


def test_old_year_links_and_whole_year_dates_add_the_baseline_and_apply_the_threshold(client, cast):
    world(cast)
    # a threshold equal to the baseline, so that only the absentee is below (the default asks for more)
    services.points_settings_update(actor=cast.admin, committee=cast.committee, threshold=60, annual_baseline=60,
                                    ranking_enabled=False)
    client.force_login(cast.admin)
    by_year = client.get(reverse(URL), {"year": 2026}).content.decode()
    by_dates = client.get(reverse(URL), {"date_from": "2026-01-01", "date_to": "2026-12-31"}).content.decode()
    for page in (by_year, by_dates):
        assert "66 " in points_of(page, cast.me) or ">66<" in points_of(page, cast.me)  # 60 + 1 + 5
        assert page.count('class="table-warning"') == 1  # 赵丽华 57 < 60
        assert 'value="2026-01-01"' in page and 'value="2026-12-31"' in page
    assert _("Participation in %(year)s") % {"year": 2026} in by_year


def test_a_part_of_a_year_sums_the_entries_without_baseline_or_threshold(client, cast):
    world(cast)
    client.force_login(cast.admin)
    page = client.get(reverse(URL), {"date_from": "2026-04-01", "date_to": "2026-06-30"}).content.decode()
    assert ">1<" in points_of(page, cast.me).replace(" ", "")  # only the June attendance
    assert ">-3<" in points_of(page, cast.west_members[0]).replace(" ", "")
    assert 'class="table-warning"' not in page
    assert _("Points: the sum of the entries in the period, without the annual baseline. The baseline and the "
             "threshold apply to a whole calendar year only, so no row is highlighted; choose a whole year to see "
             "who is below the threshold.") in page
    first_quarter = client.get(reverse(URL), {"date_from": "2026-01-01", "date_to": "2026-03-31"}).content.decode()
    assert ">5<" in points_of(first_quarter, cast.me).replace(" ", "")


def test_presets_are_links_and_mark_the_active_one(client, cast):
    client.force_login(cast.east_secretary)
    page = client.get(reverse(URL), {"preset": "last_year"}).content.decode()
    last = datetime.date.today().year - 1
    assert f'value="{last}-01-01"' in page and f'value="{last}-12-31"' in page
    assert 'btn-danger" href="?preset=last_year' in page
    for key in ("this_year", "this_quarter", "last_quarter"):
        assert f'data-preset="{key}"' in page
    assert all(m.name in page for m in cast.east_members)
    assert not any(m.name in page for m in cast.west_members)


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"date_from": "2026-06-30", "date_to": "2026-01-01"}, "date_to", "The end date must not be before the start date."),
    ({"date_from": "2026-06-30"}, "date_to", "Enter both the start and the end date, or choose a period above."),
    ({"date_from": "1999-01-01", "date_to": "2026-01-01"}, "date_from", "Enter a date between %(first)s and %(last)s."),
    ({"date_from": "2015-01-01", "date_to": "2026-01-01"}, "date_to", "Choose a period of at most five years."),
])
def test_bad_dates_show_a_message_and_fall_back_to_this_year(client, cast, params, field, message):
    client.force_login(cast.admin)
    response = client.get(reverse(URL), params)
    assert response.status_code == 200
    page = response.content.decode()
    text = _(message) % {"first": "2000-01-01", "last": "2100-12-31"} if "%(first)s" in message else _(message)
    assert text in page
    assert 'id="period-error"' in page


def test_export_follows_the_period(client, cast):
    world(cast)
    score(cast, cast.me, "2026-05", "120.5")
    client.force_login(cast.admin)
    response = client.get(reverse(URL), {"date_from": "2026-04-01", "date_to": "2026-06-30", "format": "xlsx"})
    assert "participation-20260401-20260630.xlsx" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert _("Threshold") not in rows[0] and str(Platform.XUEXI.label) in rows[0]
    mine = next(r for r in rows if r[0] == cast.me.name)
    assert int(mine[5]) == 1 and float(mine[6]) == 120.5
    response = client.get(reverse(URL), {"year": 2026, "format": "xlsx"})
    assert "participation-2026.xlsx" in response["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
        values_only=True))
    assert _("Threshold") in rows[0]
    assert int(next(r for r in rows if r[0] == cast.me.name)[5]) == 66


def test_platform_scores_of_a_period(cast):
    me, other = cast.me, cast.west_members[0]
    score(cast, me, "2026-01", "100")
    score(cast, me, "2026-02", "50")
    score(cast, me, "2026-02", "80")  # a later import of the same month: the newest counts
    score(cast, me, "2025", "9000")
    score(cast, me, "2026-03", "7", platform=Platform.DENGTA)
    score(cast, other, "2026", "3000")
    score(cast, other, "2026-01", "10")  # a yearly score wins over the months of that year
    first_quarter = platform_scores([me.pk, other.pk], Platform.XUEXI, datetime.date(2026, 1, 1),
                                    datetime.date(2026, 3, 31))
    assert first_quarter == {me.pk: Decimal("180"), other.pk: Decimal("10")}  # the year is not inside the quarter
    year = platform_scores([me.pk, other.pk], Platform.XUEXI, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    assert year == {me.pk: Decimal("180"), other.pk: Decimal("3000")}
    two_years = platform_scores([me.pk], Platform.XUEXI, datetime.date(2025, 1, 1), datetime.date(2026, 12, 31))
    assert two_years == {me.pk: Decimal("9180")}
    assert platform_scores([me.pk], Platform.DENGTA, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)) == {
        me.pk: Decimal("7")}
    assert ExternalScore.objects.count() == 7  # nothing overwritten


def test_platform_column_on_the_page(client, cast):
    score(cast, cast.me, "2026", "12345")
    score(cast, cast.me, "2026-03", "7", platform=Platform.DENGTA)
    client.force_login(cast.admin)
    page = client.get(reverse(URL), {"year": 2026}).content.decode()
    assert str(Platform.XUEXI.label) in page and "12345" in points_of(page, cast.me)
    page = client.get(reverse(URL), {"year": 2026, "platform": "dengta"}).content.decode()
    assert "12345" not in page and ">7<" in points_of(page, cast.me)


def test_period_page_query_count_does_not_grow(client, cast):
    seed_rules(cast)
    client.force_login(cast.admin)
    params = {"date_from": "2026-04-01", "date_to": "2026-09-30"}
    present(cast, make_activity(cast.admin, cast.committee), cast.me)
    score(cast, cast.me, "2026-05", "10")
    before = queries_for(client, reverse(URL), **params)
    for i in range(8):
        member = make_member(cast.admin, cast.east, name=f"新党员{i}")
        present(cast, make_activity(cast.admin, cast.committee, day=datetime.date(2026, 7, 1 + i)), member)
        score(cast, member, "2026-07", str(i))
        services.point_adjustment_create(actor=cast.admin, member=member, points=2, day=datetime.date(2026, 7, 2),
                                         reason="漏记")
    assert queries_for(client, reverse(URL), **params) == before
