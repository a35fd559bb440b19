"""Recurring plans: the study-day rule on every weekday and across years, holiday skipping and the
"no holiday data" notice, Nth-weekday plans, idempotent regeneration, permissions, all-or-nothing,
and the plans page for every role of the cast."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from taizhang.activities import plans, services, studyday
from taizhang.activities.models import Activity, ActivityType, AudienceKind
from taizhang.activities.tests.factories import seed_types
from taizhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db

D = datetime.date


def spec(cast, **kwargs) -> plans.PlanSpec:
    data = {
        "year": 2026, "rule": plans.STUDY_DAY, "title_pattern": "{month}月集体学习",
        "activity_type": ActivityType.objects.get(committee=cast.committee, name="集体学习"),
        "start_time": datetime.time(9, 30), "minutes": 120, "place": "党员之家·活动室",
        "include_past": True,  # 2026's days are past by now: these tests ask for them explicitly
    }
    data.update(kwargs)
    return plans.PlanSpec(**data)


@pytest.fixture
def types(cast):
    return seed_types(cast)


# --- the date rules (pure) ----------------------------------------------------------------------------------

# The 12th on every weekday: 2026 has a 12th on each of Monday … Sunday.
@pytest.mark.parametrize("month,weekday,expected", [
    (1, "Mon", D(2026, 1, 12)),
    (5, "Tue", D(2026, 5, 12)),
    (8, "Wed", D(2026, 8, 12)),
    (2, "Thu", D(2026, 2, 12)),
    (6, "Fri", D(2026, 6, 12)),
    (9, "Sat", D(2026, 9, 14)),
    (4, "Sun", D(2026, 4, 13)),
])
def test_study_day_on_every_weekday(cast, types, month, weekday, expected):
    assert D(2026, month, 12).strftime("%a") == weekday
    rows, notice = plans.plan_dates(spec(cast, month_from=month, month_to=month))
    assert rows == [(month, expected, D(2026, month, 12))] and notice == ""


@pytest.mark.parametrize("year,expected", [
    (2026, ["01-12", "02-12", "03-12", "04-13", "05-12", "06-12", "07-13", "08-12", "09-14", "10-12", "11-12",
            "12-14"]),
    (2027, ["01-12", "02-12", "03-12", "04-12", "05-12", "06-14", "07-12", "08-12", "09-13", "10-12", "11-12",
            "12-13"]),
    (2028, ["01-12", "02-14", "03-13", "04-12", "05-12", "06-12", "07-12", "08-14", "09-12", "10-12", "11-13",
            "12-12"]),  # a leap year: 2028-02-12 is a Saturday
])
def test_study_days_across_years(cast, types, year, expected):
    rows, _ = plans.plan_dates(spec(cast, year=year))
    assert [d.strftime("%m-%d") for _m, d, _o in rows] == expected
    assert [d for _m, d, _o in rows] == studyday.study_days(year)


def test_weekend_rule_none_keeps_the_day(cast, types):
    rows, _ = plans.plan_dates(spec(cast, rule=plans.DAY_OF_MONTH, day_of_month=12, weekend_shift=studyday.NO_SHIFT,
                                    month_from=9, month_to=9))
    assert rows == [(9, D(2026, 9, 12), D(2026, 9, 12))]


def test_configured_weekend_shift_setting(settings):
    settings.STUDY_DAY_WEEKEND_SHIFT = studyday.NO_SHIFT
    assert studyday.configured_study_days(2026)[8] == D(2026, 9, 12)
    settings.STUDY_DAY_WEEKEND_SHIFT = studyday.NEXT_MONDAY
    assert studyday.configured_study_days(2026)[8] == D(2026, 9, 14)


def test_holiday_skip_when_enabled(cast, types):
    # 2024-02-12 (Monday) was in the Spring Festival holiday (02-10 … 02-17); 02-18 a Sunday -> Monday 02-19.
    rows, notice = plans.plan_dates(spec(cast, year=2024, skip_holidays=True, month_from=2, month_to=2))
    assert rows == [(2, D(2024, 2, 19), D(2024, 2, 12))] and notice == ""
    rows, _ = plans.plan_dates(spec(cast, year=2024, skip_holidays=False, month_from=2, month_to=2))
    assert rows == [(2, D(2024, 2, 12), D(2024, 2, 12))]
    # theme party day on the 1st: National Day 2025-10-01 … 10-08 -> 10-09
    rows, _ = plans.plan_dates(spec(cast, year=2025, rule=plans.DAY_OF_MONTH, day_of_month=1, skip_holidays=True,
                                    month_from=10, month_to=10))
    assert rows[0][1] == D(2025, 10, 9)


def test_no_holiday_data_says_so(cast, types):
    assert not studyday.holiday_data_available(2099)
    rows, notice = plans.plan_dates(spec(cast, year=2099, skip_holidays=True))
    assert "2099" in notice and len(rows) == 12


def test_nth_weekday(cast, types):
    rows, _ = plans.plan_dates(spec(cast, rule=plans.NTH_WEEKDAY, nth=plans.LAST, weekday=4))
    assert [d for _m, d, _o in rows][:3] == [D(2026, 1, 30), D(2026, 2, 27), D(2026, 3, 27)]
    rows, _ = plans.plan_dates(spec(cast, rule=plans.NTH_WEEKDAY, nth=2, weekday=5, month_from=6, month_to=6))
    assert rows == [(6, D(2026, 6, 13), D(2026, 6, 13))]


def test_title_pattern(cast, types):
    preview = plans.plan_preview(actor=cast.admin, committee=cast.committee,
                                 spec=spec(cast, title_pattern="{year}年{month}月集体学习", month_from=3, month_to=3))
    assert preview.days[0].title == "2026年3月集体学习"
    with pytest.raises(ValidationError) as exc:
        plans.plan_preview(actor=cast.admin, committee=cast.committee, spec=spec(cast, title_pattern="{day}学习"))
    assert "title_pattern" in exc.value.message_dict


# --- generating ----------------------------------------------------------------------------------------------


def test_generate_creates_year_audited_and_is_idempotent(cast, types):
    result = plans.plan_generate(actor=cast.admin, committee=cast.committee, spec=spec(cast))
    assert len(result.created) == 12
    activities = Activity.objects.filter(activity_type__name="集体学习").order_by("starts_at")
    assert activities.count() == 12
    first = activities.first()
    assert first.title == "1月集体学习" and first.organiser_branch is None
    assert first.audience_kind == AudienceKind.COMMITTEE and first.place == "党员之家·活动室"
    assert first.starts_at.astimezone().strftime("%H:%M") and first.date == D(2026, 1, 12)
    assert AuditEntry.objects.filter(action="activity.create").count() == 12
    assert AuditEntry.objects.filter(action="activity_plan.generate").count() == 1
    again = plans.plan_generate(actor=cast.admin, committee=cast.committee, spec=spec(cast))
    assert again.created == [] and len(again.skipped) == 12
    assert Activity.objects.filter(activity_type__name="集体学习").count() == 12


def branch_spec(cast, branch, **kwargs):
    return spec(cast, organiser_branch=branch, audience_kind=AudienceKind.BRANCH, audience_branch=branch, **kwargs)


def test_another_branch_or_type_is_not_a_duplicate(cast, types):
    june = {"month_from": 6, "month_to": 6}
    east = plans.plan_generate(actor=cast.east_secretary, committee=cast.committee, spec=branch_spec(cast, cast.east, **june))
    assert len(east.created) == 1
    west = plans.plan_generate(actor=cast.west_secretary, committee=cast.committee, spec=branch_spec(cast, cast.west, **june))
    assert len(west.created) == 1
    lesson = ActivityType.objects.get(committee=cast.committee, name="主题党日")
    other = plans.plan_generate(actor=cast.admin, committee=cast.committee, spec=spec(cast, activity_type=lesson, **june))
    assert len(other.created) == 1


def test_the_same_type_that_day_is_never_doubled_whoever_organised_it(cast, types):
    """A committee plan meets a branch's activity of that type (its members would have it twice), and a
    branch plan meets the committee's."""
    june = {"month_from": 6, "month_to": 6}
    plans.plan_generate(actor=cast.east_secretary, committee=cast.committee, spec=branch_spec(cast, cast.east, **june))
    committee = plans.plan_generate(actor=cast.admin, committee=cast.committee, spec=spec(cast, month_from=5, month_to=6))
    assert [d.day for d in committee.skipped] == [D(2026, 6, 12)] and len(committee.created) == 1
    west = plans.plan_preview(actor=cast.west_secretary, committee=cast.committee,
                              spec=branch_spec(cast, cast.west, month_from=5, month_to=5))
    assert west.to_create == [] and west.skipped[0].existing.organiser_branch is None
    assert Activity.objects.filter(activity_type__name="集体学习", starts_at__date=D(2026, 6, 12)).count() == 1


# --- past days only on an explicit choice --------------------------------------------------------------------


def test_past_days_are_left_out_unless_chosen(cast, types):
    last_year = timezone.localdate().year - 1
    preview = plans.plan_preview(actor=cast.admin, committee=cast.committee,
                                 spec=spec(cast, year=last_year, include_past=False))
    assert preview.to_create == [] and len(preview.past_left_out) == 12
    assert plans.plan_generate(actor=cast.admin, committee=cast.committee,
                               spec=spec(cast, year=last_year, include_past=False)).created == []
    assert not Activity.objects.exists()
    held = plans.plan_generate(actor=cast.admin, committee=cast.committee, spec=spec(cast, year=last_year))
    assert len(held.created) == 12
    next_year = plans.plan_generate(actor=cast.admin, committee=cast.committee,
                                    spec=spec(cast, year=last_year + 2, include_past=False))
    assert len(next_year.created) == 12


def test_the_page_defaults_to_this_year_from_today_on(client, cast, types):
    client.force_login(cast.admin)
    form = client.get(reverse("content:plans")).context["form"]
    assert form.initial["year"] == timezone.localdate().year
    assert not form.initial.get("include_past") and "include_past" in form.fields
    last_year = str(timezone.localdate().year - 1)
    data = form_data(cast, year=last_year)
    data.pop("include_past")
    page = client.post(reverse("content:plans"), data)
    text = page.content.decode()
    assert page.context["preview"].to_create == [] and 'id="generate-button"' not in text
    assert "已过去" in text


def test_after_generating_the_page_links_to_what_was_made(client, cast, types):
    client.force_login(cast.admin)
    url = reverse("content:plans")
    response = client.post(url, form_data(cast, month_from="11", month_to="12", action="generate"))
    assert response.status_code == 302 and response["Location"] == url + "?made=1"
    page = client.get(response["Location"])
    made = Activity.objects.order_by("starts_at")
    assert [a.pk for a in page.context["made"]] == [a.pk for a in made] and len(made) == 2
    text = page.content.decode()
    assert 'id="plan-made"' in text
    for activity in made:
        assert reverse("activities:detail", args=[activity.pk]) in text


def test_branch_secretary_cannot_generate_committee_plans(cast, types):
    with pytest.raises(PermissionDenied):
        plans.plan_generate(actor=cast.east_secretary, committee=cast.committee, spec=spec(cast))
    west = spec(cast, organiser_branch=cast.west, audience_kind=AudienceKind.BRANCH, audience_branch=cast.west)
    with pytest.raises(PermissionDenied):
        plans.plan_generate(actor=cast.east_secretary, committee=cast.committee, spec=west)
    for user in (cast.study, cast.plain_member, cast.outsider):
        with pytest.raises(PermissionDenied):
            plans.plan_preview(actor=user, committee=cast.committee, spec=spec(cast))
    assert not Activity.objects.exists()


def test_branch_plan_must_be_for_own_branch(cast, types):
    bad = spec(cast, organiser_branch=cast.east, audience_kind=AudienceKind.COMMITTEE)
    with pytest.raises(ValidationError) as exc:
        plans.plan_preview(actor=cast.east_secretary, committee=cast.committee, spec=bad)
    assert "audience" in exc.value.message_dict


def test_all_or_nothing_when_one_date_fails(cast, types, monkeypatch):
    real = services.activity_create
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["title"])
        if len(calls) == 3:
            raise ValidationError({"title": ["出错了"]})
        return real(**kwargs)

    monkeypatch.setattr(services, "activity_create", flaky)
    with pytest.raises(ValidationError) as exc:
        plans.plan_generate(actor=cast.admin, committee=cast.committee, spec=spec(cast))
    assert "2026-03-12" in exc.value.messages[0]
    assert len(calls) == 3 and not Activity.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["activity.create", "activity_plan.generate"]).exists()


def test_dates_before_founding_refused_whole_plan(cast, types):
    with pytest.raises(ValidationError):
        plans.plan_generate(actor=cast.admin, committee=cast.committee, spec=spec(cast, year=2017))
    assert not Activity.objects.exists()


# --- the page --------------------------------------------------------------------------------------------


def form_data(cast, **kwargs):
    data = {
        "year": "2026", "rule": plans.STUDY_DAY, "day_of_month": "12", "weekend_shift": "next_monday",
        "nth": "-1", "weekday": "4", "month_from": "1", "month_to": "12",
        "activity_type": str(ActivityType.objects.get(committee=cast.committee, name="集体学习").pk),
        "title_pattern": "{month}月集体学习", "start_time": "09:30", "minutes": "120", "place": "党员之家·活动室",
        "organiser": "", "audience": "committee", "action": "preview", "include_past": "on",
    }
    data.update(kwargs)
    return data


@pytest.mark.parametrize("role,status", [("admin", 200), ("east_secretary", 200), ("west_secretary", 200),
                                         ("study", 403), ("plain_member", 403), ("outsider", 403),
                                         ("auditor", 403), ("sysadmin", 403)])
def test_plans_page_scoping(client, cast, types, role, status):
    client.force_login(getattr(cast, role))
    response = client.get(reverse("content:plans"))
    assert response.status_code == status
    if role == "east_secretary":
        organisers = [c[0] for c in response.context["form"].fields["organiser"].choices]
        assert organisers == [str(cast.east.pk)]  # not the committee, not other branches
    if role == "admin":
        organisers = [c[0] for c in response.context["form"].fields["organiser"].choices]
        assert organisers[0] == "" and len(organisers) == 4


def test_page_preview_then_generate(client, cast, types):
    client.force_login(cast.admin)
    url = reverse("content:plans")
    response = client.post(url, form_data(cast))
    text = response.content.decode()
    assert response.status_code == 200 and "2026-09-14" in text and "plan-table" in text
    assert not Activity.objects.exists()  # a preview writes nothing
    response = client.post(url, form_data(cast, action="generate"))
    assert response.status_code == 302
    assert Activity.objects.count() == 12
    response = client.post(url, form_data(cast))
    assert response.context["preview"].to_create == []


def test_page_shows_no_holiday_data_notice(client, cast, types):
    client.force_login(cast.admin)
    response = client.post(reverse("content:plans"), form_data(cast, year="2099", skip_holidays="on"))
    assert response.status_code == 200
    assert 'id="holiday-notice"' in response.content.decode()


def test_page_east_secretary_committee_plan_refused(client, cast, types):
    client.force_login(cast.east_secretary)
    response = client.post(reverse("content:plans"), form_data(cast, organiser="", action="generate"))
    assert response.status_code == 200  # "" is not one of the secretary's choices: a form error
    assert response.context["form"].errors and not Activity.objects.exists()
    response = client.post(reverse("content:plans"), form_data(
        cast, organiser=str(cast.east.pk), audience="branch", action="generate", rule=plans.NTH_WEEKDAY,
        title_pattern="{month}月主题党日"))
    assert response.status_code == 302
    assert Activity.objects.filter(organiser_branch=cast.east, audience_branch=cast.east).count() == 12


def test_page_errors_are_shown_not_500(client, cast, types):
    client.force_login(cast.admin)
    response = client.post(reverse("content:plans"), form_data(cast, rule=plans.DAY_OF_MONTH, day_of_month="31",
                                                                title_pattern="{oops}", start_time="25:99"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "day_of_month" in errors and "start_time" in errors
