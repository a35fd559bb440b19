"""Recurring plans (年度计划): the year's monthly study days or monthly theme party days as activities.

Two steps, like imports (ARCHITECTURE.md rule 7): ``plan_preview`` computes the dates and marks
those that already have an activity of the same type that day (see ``_existing``: they are skipped)
and those already past (skipped unless ``include_past`` is chosen: then they are recorded as
activities already held), then ``plan_generate`` creates the rest through ``services.activity_create``
in one transaction: all or nothing, each activity audited, plus one ``activity_plan.generate`` entry.

Date rules:
* ``study_day`` — the monthly study day (``studyday.study_day``): day ``day_of_month`` (setting
  STUDY_DAY_OF_MONTH, 12), a Saturday or Sunday moved by the weekend rule (STUDY_DAY_WEEKEND_SHIFT:
  to the following Monday, or not moved), optionally past statutory holidays;
* ``day_of_month`` — the same rule with another day of the month;
* ``nth_weekday`` — e.g. the last Friday or the second Saturday of the month; with holiday skipping a
  holiday moves it to the next day that is neither a holiday nor (for a working-day rule) a weekend.
When holidays are to be skipped but chinese-calendar has no data for the year, the dates are
computed without skipping and ``holiday_notice`` says so (the page shows it).
"""

import calendar
import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.activities import services, studyday
from taizhang.activities.models import Activity, AudienceKind
from taizhang.core.audit import audit_log
from taizhang.core.permissions import has_capability
from taizhang.members.audience import field_errors

STUDY_DAY = "study_day"
DAY_OF_MONTH = "day_of_month"
NTH_WEEKDAY = "nth_weekday"
RULES = (STUDY_DAY, DAY_OF_MONTH, NTH_WEEKDAY)
LAST = -1  # ``nth`` for "the last <weekday> of the month"
PLACEHOLDERS = ("year", "month")

# A plan repeats an activity for the whole committee or one branch (no party groups or picked members).
PLAN_AUDIENCE_KINDS = (AudienceKind.COMMITTEE, AudienceKind.BRANCH)


@dataclass
class PlanSpec:
    """What to generate (a form's cleaned data)."""

    year: int
    rule: str
    activity_type: object
    title_pattern: str
    start_time: datetime.time
    minutes: int
    organiser_branch: object = None  # None: the committee
    audience_kind: str = AudienceKind.COMMITTEE
    audience_branch: object = None
    place: str = ""
    day_of_month: int = 12
    weekend_shift: str = studyday.NEXT_MONDAY
    nth: int = 1
    weekday: int = 4  # Monday = 0
    skip_holidays: bool = False
    month_from: int = 1
    month_to: int = 12
    include_past: bool = False  # also create the days already past, as activities already held


@dataclass
class PlannedDay:
    month: int
    day: datetime.date
    original: datetime.date  # the day before the weekend/holiday rule moved it
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    existing: Activity | None = None

    @property
    def moved(self) -> bool:
        return self.day != self.original

    @property
    def past(self) -> bool:
        return self.starts_at < timezone.now()


@dataclass
class PlanPreview:
    spec: PlanSpec
    days: list[PlannedDay] = field(default_factory=list)
    holiday_notice: str = ""  # said on screen when holidays could not be skipped

    @property
    def to_create(self) -> list[PlannedDay]:
        return [d for d in self.days if d.existing is None and (self.spec.include_past or not d.past)]

    @property
    def skipped(self) -> list[PlannedDay]:
        """Days that already have an activity of the same type."""
        return [d for d in self.days if d.existing is not None]

    @property
    def past_left_out(self) -> list[PlannedDay]:
        """Free days already past, left out because ``include_past`` was not chosen."""
        return [d for d in self.days if d.existing is None and d.past and not self.spec.include_past]


def title_for(pattern: str, year: int, month: int) -> str:
    """The activity's title: "5月集体学习" from "集体学习" (a name), or a pattern with {year}/{month} as before."""
    if "{" not in pattern:
        return f"{month}月{pattern.strip()}"
    return pattern.replace("{year}", str(year)).replace("{month}", str(month))


def _check_pattern(pattern: str) -> list[str]:
    text = pattern
    for name in PLACEHOLDERS:
        text = text.replace("{" + name + "}", "")
    if "{" in text or "}" in text:
        return [_("Only {year} and {month} can be used in braces in the title.")]
    if not pattern.strip():
        return [_("Enter the activity's name, e.g. 集体学习.")]
    if len(title_for(pattern, 2026, 12)) > 200:
        return [_("The text is too long (at most %(n)d characters).") % {"n": 200}]
    return []


def nth_weekday(year: int, month: int, nth: int, weekday: int) -> datetime.date:
    """The ``nth`` (1–4, or -1 for the last) ``weekday`` (Monday = 0) of the month."""
    days = [week[weekday] for week in calendar.monthcalendar(year, month) if week[weekday]]
    return datetime.date(year, month, days[-1] if nth == LAST else days[nth - 1])


def _skip_holidays(day: datetime.date, *, skip_weekends: bool) -> datetime.date:
    while studyday.is_statutory_holiday(day) or (skip_weekends and day.weekday() >= 5):
        day += datetime.timedelta(days=1)
    return day


def plan_dates(spec: PlanSpec) -> tuple[list[tuple[int, datetime.date, datetime.date]], str]:
    """[(month, day, original day)] for the months asked, and the holiday notice ("" when none)."""
    skip = spec.skip_holidays
    notice = ""
    if skip and not studyday.holiday_data_available(spec.year):
        notice = studyday.HolidayDataUnavailable(spec.year).message
        skip = False
    rows = []
    for month in range(spec.month_from, spec.month_to + 1):
        if spec.rule in (STUDY_DAY, DAY_OF_MONTH):
            original = datetime.date(spec.year, month, spec.day_of_month)
            day = studyday.study_day(spec.year, month, day_of_month=spec.day_of_month,
                                     weekend_shift=spec.weekend_shift, skip_holidays=skip)
        else:
            original = nth_weekday(spec.year, month, spec.nth, spec.weekday)
            day = _skip_holidays(original, skip_weekends=spec.weekday < 5) if skip else original
        rows.append((month, day, original))
    return rows, notice


def _validate(spec: PlanSpec, committee) -> None:
    errors: dict[str, list[str]] = {}
    if spec.rule not in RULES:
        errors["rule"] = [_("Choose how the dates are found.")]
    if not 2000 <= spec.year <= 2100:
        errors["year"] = [_("Enter a year such as 2026.")]
    if not (1 <= spec.month_from <= spec.month_to <= 12):
        errors["month_to"] = [_("The months must run from January to December, the first not after the last.")]
    if spec.rule in (STUDY_DAY, DAY_OF_MONTH) and not 1 <= spec.day_of_month <= 28:
        errors["day_of_month"] = [_("The study day must be a day of the month from 1 to 28.")]
    if spec.weekend_shift not in studyday.WEEKEND_SHIFTS:
        errors["weekend_shift"] = [_("Unknown weekend rule “%(value)s”.") % {"value": spec.weekend_shift}]
    if spec.rule == NTH_WEEKDAY and (spec.nth not in (1, 2, 3, 4, LAST) or not 0 <= spec.weekday <= 6):
        errors["nth"] = [_("Choose which weekday of the month.")]
    if not 15 <= spec.minutes <= 24 * 60:
        errors["minutes"] = [_("The duration must be between 15 minutes and 24 hours.")]
    if spec.activity_type is None or spec.activity_type.committee_id != committee.pk:
        errors["activity_type"] = [_("Choose the activity type.")]
    # The audience check of every activity (``members.audience``), for the kinds a plan offers; the
    # plan form's field for the kind is called "audience".
    audience_errors = field_errors(committee.pk, spec.audience_kind, spec.audience_branch, None,
                                   kinds=PLAN_AUDIENCE_KINDS, organiser_branch=spec.organiser_branch)
    errors.update({"audience" if k == "audience_kind" else k: v for k, v in audience_errors.items()})
    pattern_errors = _check_pattern(spec.title_pattern)
    if pattern_errors:
        errors["title_pattern"] = pattern_errors
    if errors:
        raise ValidationError(errors)


def _check_permission(actor, committee, spec: PlanSpec) -> None:
    if not has_capability(actor, "activities.manage", committee):
        raise PermissionDenied(_("Your role cannot plan activities."))
    if not services._may_organise(actor, committee, spec.organiser_branch):
        raise PermissionDenied(_("You may not organise activities for this branch or committee."))


def _existing(committee, spec: PlanSpec, days: list[datetime.date]) -> dict:
    """{day: activity} of the activities of the same type already on those days, for the same people.

    A committee plan meets every activity of that type in the committee that day (the committee's own
    or a branch's: its members would have it twice); a branch plan meets its own and the committee's.
    Another branch's activity, or one of another type, is not a duplicate.
    """
    if not days:
        return {}
    start = timezone.make_aware(datetime.datetime.combine(min(days), datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(max(days) + datetime.timedelta(days=1), datetime.time.min))
    qs = Activity.objects.filter(committee=committee, activity_type=spec.activity_type,
                                 starts_at__gte=start, starts_at__lt=end)
    if spec.organiser_branch is not None:
        qs = qs.filter(Q(organiser_branch=spec.organiser_branch) | Q(organiser_branch__isnull=True))
    wanted = set(days)
    found = {}
    for activity in qs.order_by("starts_at", "id"):
        day = timezone.localdate(activity.starts_at)
        if day in wanted:
            found.setdefault(day, activity)
    return found


def plan_preview(*, actor, committee, spec: PlanSpec) -> PlanPreview:
    """The dry run: every date, its title and time, moved-from notes and what already exists."""
    _check_permission(actor, committee, spec)
    _validate(spec, committee)
    rows, notice = plan_dates(spec)
    existing = _existing(committee, spec, [day for _m, day, _o in rows])
    preview = PlanPreview(spec=spec, holiday_notice=notice)
    for month, day, original in rows:
        starts = timezone.make_aware(datetime.datetime.combine(day, spec.start_time))
        preview.days.append(PlannedDay(
            month=month, day=day, original=original, title=title_for(spec.title_pattern, spec.year, month),
            starts_at=starts, ends_at=starts + datetime.timedelta(minutes=spec.minutes),
            existing=existing.get(day),
        ))
    return preview


@transaction.atomic
def plan_generate(*, actor, committee, spec: PlanSpec) -> PlanPreview:
    """Create the plan's activities that do not exist yet, all or nothing. Returns the preview it
    acted on (``to_create`` were created, ``skipped`` already existed)."""
    preview = plan_preview(actor=actor, committee=committee, spec=spec)
    created = []
    for planned in preview.to_create:
        try:
            activity = services.activity_create(
                actor=actor, committee=committee, activity_type=spec.activity_type, title=planned.title,
                starts_at=planned.starts_at, ends_at=planned.ends_at, place=spec.place,
                organiser_branch=spec.organiser_branch, audience_kind=spec.audience_kind,
                audience_branch=spec.audience_branch,
            )
        except ValidationError as exc:
            messages = exc.messages
            raise ValidationError({"__all__": [
                _("%(day)s: %(reason)s Nothing was created.") % {"day": planned.day.isoformat(),
                                                                 "reason": " ".join(messages)}
            ]}) from exc
        planned.existing = None
        created.append(activity)
    audit_log(actor=actor, action="activity_plan.generate", obj=committee, new={
        "year": spec.year, "rule": spec.rule, "activity_type": spec.activity_type.name,
        "organiser_branch": getattr(spec.organiser_branch, "pk", None), "audience_kind": spec.audience_kind,
        "audience_branch": getattr(spec.audience_branch, "pk", None),
        "created": [a.pk for a in created], "skipped": [d.day for d in preview.skipped],
        "include_past": spec.include_past, "past_left_out": [d.day for d in preview.past_left_out],
        "holiday_notice": bool(preview.holiday_notice),
    })
    preview.created = created
    return preview
