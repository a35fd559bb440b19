"""Points: "did nothing" is visible (issue 16). With the default settings the threshold sits above the
annual baseline, so a member who took part in nothing all year (and keeps just the baseline) is not 达标,
while a member who took part normally is."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse

from taizhang.points import selectors, services
from taizhang.points.models import PointsSettings
from taizhang.points.tests.helpers import make_activity, present, seed_rules

pytestmark = pytest.mark.django_db
YEAR = 2025


@pytest.fixture
def year_of_meetings(cast):
    """2025: a monthly 集体学习 and a monthly 主题党日 for the whole committee; 张伟明 attends the study
    days and eight theme days (20 of 24, 4 not recorded), nobody else has any attendance at all."""
    seed_rules(cast)
    for month in range(1, 13):
        study = make_activity(cast.admin, cast.committee, day=datetime.date(YEAR, month, 12), title=f"{month}月集体学习")
        theme = make_activity(cast.admin, cast.committee, type_name="主题党日", day=datetime.date(YEAR, month, 20),
                              title=f"{month}月主题党日")
        present(cast, study, cast.me)
        if month <= 8:
            present(cast, theme, cast.me)
    return cast


def rows_by_name(cast, year=YEAR):
    rows, _branches, config = selectors.participation(cast.admin, cast.committee, year)
    return {r.member.name: r for r in rows}, config


def test_the_default_threshold_is_above_the_baseline(cast):
    config = PointsSettings(committee=cast.committee)
    assert config.threshold > config.annual_baseline and config.participation_needed > 0
    seed_rules(cast)
    saved = PointsSettings.objects.get(committee=cast.committee)
    assert (saved.threshold, saved.annual_baseline) == (config.threshold, config.annual_baseline)


def test_a_member_who_took_part_in_nothing_is_below_and_one_who_took_part_is_not(year_of_meetings):
    cast = year_of_meetings
    rows, config = rows_by_name(cast)
    idle = rows["李秀英"]
    assert idle.total == config.annual_baseline and idle.present == 0 and idle.below
    assert all(rows[m.name].below for m in cast.members if m != cast.me)
    active = rows[cast.me.name]
    assert active.present == 20 and active.total == config.annual_baseline + 20 and not active.below
    assert selectors.member_year(cast.members_by_name["李秀英"], YEAR).below_threshold
    assert not selectors.member_year(cast.me, YEAR).below_threshold


def test_the_pages_say_what_the_threshold_asks_for(client, year_of_meetings):
    cast = year_of_meetings
    client.force_login(cast.admin)
    page = client.get(reverse("points:participation"), {"year": YEAR}).content.decode()
    assert "再获得5分" in page and 'id="threshold-not-above-baseline"' not in page
    client.force_login(cast.plain_member)
    mine = client.get(reverse("points:mine"), {"year": YEAR}).content.decode()
    assert "已达标" in mine
    assert "基础分60+参与得分至少5" in mine.replace(" ", "")


@override_settings(POINTS_THRESHOLD=60, POINTS_ANNUAL_BASELINE=60)
def test_a_threshold_not_above_the_baseline_is_flagged(client, cast):
    seed_rules(cast)
    assert PointsSettings.objects.get(committee=cast.committee).threshold == 60
    client.force_login(cast.admin)
    assert 'id="threshold-not-above-baseline"' in client.get(reverse("points:settings")).content.decode()
    page = client.get(reverse("points:participation"), {"year": YEAR}).content.decode()
    assert 'id="threshold-not-above-baseline"' in page
    services.points_settings_update(actor=cast.admin, committee=cast.committee, threshold=75, annual_baseline=60,
                                    ranking_enabled=False)
    assert 'id="threshold-not-above-baseline"' not in client.get(reverse("points:settings")).content.decode()
