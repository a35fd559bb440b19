"""The staff worklist (工作提醒): what is due in the user's scope, each with a count, the first few names and a
link to act.

Every count is SQL over the user's scope (``core.permissions``: a branch secretary sees the branch's items
only), each item a fixed number of queries, so the page costs the same for ten members or a hundred
thousand. The rules' numbers are settings (DOMAIN_RULES.md, README "Where the rules live"):

* ``contact_warning`` — on the roster, not lost, no contact for CONTACT_WARNING_MONTHS (5) months but not yet
  LOST_CONTACT_MONTHS (6): warn (``members.selectors.filter_contact_overdue``);
* ``lost_contact`` — no contact for LOST_CONTACT_MONTHS (6) months or more: record the loss of contact;
* ``transfer`` — away from Beijing (outflow) for TRANSFER_CONSIDER_MONTHS (6) months or more (the open
  roster spell began that long ago): consider a formal transfer (an alert; the ledger records it as 转出);
* ``not_reported`` — active, away or awaiting report, and no report or contact recorded in the flow history
  this calendar year (the contact events: registered, reported, returned, contact restored, a recorded
  contact, membership restored — ``members.flow.CONTACT_KINDS``): DOMAIN_RULES "report at least once a year";
* ``probation`` — probationary members whose year of probation (PROBATION_MONTHS) has passed since joining;
* ``study_day`` — the next monthly study day (``activities.studyday``) and whether an activity is planned on it;
* ``study_unread`` — study items whose date has passed (a monthly topic: its month's study day; another
  item: STUDY_READ_DAYS after publishing) that members of the audience have not read;
* ``approvals`` — study records waiting for approval (points);
* ``care_visits`` — members of current or coming visit plans not yet visited (care);
* ``dues`` — members with DUES_WARNING_MONTHS months or more of dues unpaid (finance).
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q
from django.db.models.functions import ExtractMonth, ExtractYear
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from taizhang.activities import content_selectors
from taizhang.activities import selectors as activity_selectors
from taizhang.activities.studyday import HolidayDataUnavailable, configured_study_days
from taizhang.care import selectors as care_selectors
from taizhang.care.models import PlanTarget, VisitPlan
from taizhang.core.permissions import EDIT, has_capability, restrict
from taizhang.finance.dues import collects_dues
from taizhang.finance.models import DuesBase, DuesPayment
from taizhang.members import flow
from taizhang.members import selectors as member_selectors
from taizhang.members.models import OPEN_END, EventKind, FlowEvent, Member, MembershipType, Status
from taizhang.points.selectors import approvals_queryset

FIRST_NAMES = 5  # names shown on the card; the rest behind "more"

ON_ROSTER_REACHABLE = [Status.ACTIVE, Status.OUTFLOW, Status.AWAITING]


@dataclass
class Entry:
    label: str
    url: str
    note: str = ""


@dataclass
class WorkItem:
    key: str
    title: str
    hint: str
    count: int
    level: str = "warning"  # bootstrap colour: danger, warning, info, success
    entries: list = field(default_factory=list)  # the first few, each an Entry
    action_url: str = ""
    action_label: str = ""
    more_url: str = ""

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.entries))


# --- member rules: a queryset of members each, shared by the card, the "more" page and the reminders ---------


def _staff_members(user):
    """The members ``user`` may act on (EDIT), with today's status."""
    return member_selectors.annotate_status(restrict(Member.objects.all(), user, EDIT)).select_related("branch")


def contact_warning_members(user, today: datetime.date):
    members = _staff_members(user)
    lost = member_selectors.filter_contact_overdue(members, member_selectors.lost_contact_months(), today)
    return (member_selectors.filter_contact_overdue(members, None, today)
            .exclude(pk__in=lost.order_by().values("pk"))
            .order_by(F("last_contact_date").asc(nulls_first=True), "id"))


def lost_contact_members(user, today: datetime.date):
    return (member_selectors.filter_contact_overdue(_staff_members(user), member_selectors.lost_contact_months(), today)
            .order_by(F("last_contact_date").asc(nulls_first=True), "id"))


def transfer_members(user, today: datetime.date):
    """Away from Beijing since TRANSFER_CONSIDER_MONTHS or more: the open roster spell (the projection of the
    flow events; a recorded contact while away does not start a new spell) is an outflow that began on or
    before that day. (A move to another branch while away starts a new spell, so the count starts again.)"""
    limit = member_selectors.months_before(today, settings.TRANSFER_CONSIDER_MONTHS)
    away = FilteredRelation("roster_spells", condition=Q(roster_spells__valid_to=OPEN_END,
                                                         roster_spells__status=Status.OUTFLOW))
    return (_staff_members(user).filter(status=Status.OUTFLOW).annotate(away=away, left_on=F("away__valid_from"))
            .filter(left_on__lte=limit).order_by("left_on", "id"))


def not_reported_members(user, today: datetime.date):
    reported = FlowEvent.objects.effective().filter(
        member=OuterRef("pk"), kind__in=flow.CONTACT_KINDS, effective_date__gte=datetime.date(today.year, 1, 1),
        effective_date__lte=today)
    return (_staff_members(user).filter(status__in=ON_ROSTER_REACHABLE).filter(~Exists(reported))
            .order_by("branch__sort_order", "name_pinyin", "id"))


def probation_members(user, today: datetime.date):
    limit = member_selectors.months_before(today, settings.PROBATION_MONTHS)
    return (_staff_members(user).filter(membership_type=MembershipType.PROBATIONARY, join_date__lte=limit,
                                        status__in=ON_ROSTER_REACHABLE + [Status.LOST])
            .order_by("join_date", "id"))


def _next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_number(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def dues_members(user, today: datetime.date):
    """Members (in committees that collect dues) who owed dues for each of the last DUES_WARNING_MONTHS months
    (a base applied from the first of them) and paid none of them (no ordinary payment covers any)."""
    months = settings.DUES_WARNING_MONTHS
    this_month = _month_number(today)
    first = this_month - months + 1
    window_start = datetime.date(first // 12, first % 12 + 1, 1)
    owes = DuesBase.objects.filter(member=OuterRef("pk"), applies_from__lte=window_start)
    covering = (DuesPayment.objects.filter(member=OuterRef("pk"), voluntary=False,
                                           period_from__lt=_next_month(today))
                .annotate(end=ExtractYear("period_from") * 12 + ExtractMonth("period_from") - 1 + F("months"))
                .filter(end__gt=first))
    members = _staff_members(user).filter(status__in=ON_ROSTER_REACHABLE + [Status.LOST])
    committee_ids = set(members.order_by().values_list("committee_id", flat=True).distinct())
    collecting = [c for c in committee_ids if collects_dues(c)]
    return (members.filter(committee_id__in=collecting).filter(Exists(owes)).filter(~Exists(covering))
            .order_by("branch__sort_order", "name_pinyin", "id"))


MEMBER_RULES = {
    "contact_warning": contact_warning_members,
    "lost_contact": lost_contact_members,
    "transfer": transfer_members,
    "not_reported": not_reported_members,
    "probation": probation_members,
    "dues": dues_members,
}


def member_rule_allowed(user, key: str) -> bool:
    if key == "dues":
        return has_capability(user, "finance.view") and has_capability(user, "ledger.use")
    return has_capability(user, "member.corrections")  # the staff who record flow events (secretaries)


def member_rule_title(key: str) -> str:
    return {
        "contact_warning": _("No contact for %(n)s months") % {"n": settings.CONTACT_WARNING_MONTHS},
        "lost_contact": _("No contact for %(n)s months or more: record the loss of contact")
        % {"n": member_selectors.lost_contact_months()},
        "transfer": _("Away from Beijing for %(n)s months or more: consider a formal transfer")
        % {"n": settings.TRANSFER_CONSIDER_MONTHS},
        "not_reported": _("Not yet reported to the committee this year"),
        "probation": _("Probationary members due for full membership"),
        "dues": _("Party dues unpaid for %(n)s months or more") % {"n": settings.DUES_WARNING_MONTHS},
    }[key]


def member_rule_hint(key: str) -> str:
    return {
        "contact_warning": _("Neither organisational life nor dues nor any other contact for %(warn)s months; at "
                             "%(lost)s months the member counts as lost contact. Get in touch now.")
        % {"warn": member_selectors.contact_warning_months(), "lost": member_selectors.lost_contact_months()},
        "lost_contact": _("Search for the member; if they cannot be reached, record the loss of contact with its cause."),
        "transfer": _("A member held %(n)s months or more at a fixed place elsewhere should be considered for a formal "
                      "transfer of membership (an alert, not automatic).") % {"n": settings.TRANSFER_CONSIDER_MONTHS},
        "not_reported": _("Every member should report to the organisation at least once a year: record the report "
                          "or contact on the member's page."),
        "probation": _("Probation lasts one year from joining: decide on full membership and record it."),
        "dues": _("Six consecutive months without dues and without good reason count as leaving the party: "
                  "remind the member now."),
    }[key]


def member_entry(key: str, member) -> Entry:
    """How one member of a rule is shown: the name linking to the action on their page, and a short note."""
    detail = reverse("members:detail", args=[member.pk])
    if key == "lost_contact":
        url = reverse("members:flow", args=[member.pk, EventKind.LOST_CONTACT])
    elif key == "transfer":
        url = detail
    elif key == "not_reported":
        url = reverse("members:flow", args=[member.pk, EventKind.CONTACTED])
    elif key == "probation":
        url = reverse("members:flow", args=[member.pk, EventKind.PROBATION_COMPLETED])
    elif key == "dues":
        url = reverse("finance:dues_member", args=[member.pk])
    else:
        url = detail
    if key in ("contact_warning", "lost_contact"):
        last = member.last_contact_date
        note = (_("last contact %(day)s") % {"day": last.isoformat()}) if last else _("no contact recorded")
    elif key == "transfer":
        note = _("away since %(day)s") % {"day": member.left_on.isoformat()}
    elif key == "probation":
        note = _("joined %(day)s") % {"day": member.join_date.isoformat()}
    else:
        note = member.branch.name
    return Entry(member.name, url, note)


def member_rule_action(key: str) -> tuple[str, str]:
    if key in ("contact_warning", "lost_contact"):
        return (reverse("members:list") + "?" + urlencode({"contact": "overdue", "sort": "last_contact"}),
                _("Open in the ledger"))
    if key == "transfer":
        return reverse("members:list") + "?" + urlencode({"status": Status.OUTFLOW}), _("Open in the ledger")
    if key == "dues":
        return reverse("finance:dues"), _("Party dues")
    return "", ""


def _member_item(user, key: str, today: datetime.date, level: str) -> WorkItem:
    members = MEMBER_RULES[key](user, today)
    count = members.count()
    entries = [member_entry(key, m) for m in members[:FIRST_NAMES]] if count else []
    action_url, action_label = member_rule_action(key)
    return WorkItem(key=key, title=member_rule_title(key), hint=member_rule_hint(key), count=count,
                    level=level if count else "success", entries=entries, action_url=action_url,
                    action_label=action_label, more_url=reverse("reports:worklist_item", args=[key]))


# --- the other items --------------------------------------------------------------------------------------


def next_study_day(today: datetime.date) -> datetime.date:
    """The first monthly study day on or after ``today`` (the committee's settings; without holiday data for the
    year, the plain rule)."""
    for year in (today.year, today.year + 1):
        try:
            days = configured_study_days(year)
        except HolidayDataUnavailable:
            days = configured_study_days(year, skip_holidays=False)
        for day in days:
            if day >= today:
                return day
    raise AssertionError("a study day every month")  # pragma: no cover


def day_bounds(day: datetime.date):
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def study_day_activities(user, day: datetime.date):
    start, end = day_bounds(day)
    return (activity_selectors.activity_queryset(user).filter(cancelled=False, starts_at__gte=start, starts_at__lt=end)
            .order_by("starts_at", "id"))


def _study_day_item(user, today: datetime.date) -> WorkItem:
    day = next_study_day(today)
    planned = list(study_day_activities(user, day)[:FIRST_NAMES])
    entries = [Entry(a.title, reverse("activities:detail", args=[a.pk]), timezone.localtime(a.starts_at).strftime("%H:%M"))
               for a in planned]
    days_to = (day - today).days
    title = _("Next study day: %(day)s (in %(n)s days)") % {"day": day.isoformat(), "n": days_to} if days_to else \
        _("Study day today: %(day)s") % {"day": day.isoformat()}
    if planned:
        hint = _("An activity is planned on the study day.")
        action = (reverse("activities:list"), _("Activities"))
    else:
        hint = _("Nothing is planned on the study day yet: plan the study (one activity, or the year's plan).")
        action = (reverse("content:plans"), _("Yearly plans"))
    return WorkItem(key="study_day", title=title, hint=hint, count=len(planned),
                    level="success" if planned else ("danger" if days_to <= 7 else "warning"),
                    entries=entries, action_url=action[0], action_label=action[1])


def study_past_date_q(today: datetime.date) -> Q:
    """Study items whose date has passed: a monthly topic once its month's study day is behind us, another
    item STUDY_READ_DAYS after it was published; and published in the last STUDY_WORKLIST_DAYS days."""
    this_month = today.replace(day=1)
    past_month = Q(month__lt=this_month)
    if next_study_day(this_month) < today:  # this month's study day is behind us
        past_month |= Q(month__gte=this_month, month__lt=_next_month(this_month))
    now = timezone.now()
    dated = Q(month__isnull=False) & past_month
    undated = Q(month__isnull=True, published_at__lt=now - datetime.timedelta(days=settings.STUDY_READ_DAYS))
    return Q(withdrawn=False, published_at__gte=now - datetime.timedelta(days=settings.STUDY_WORKLIST_DAYS)) & (
        dated | undated)


def study_items_past_date(user, today: datetime.date):
    """The study items in ``user``'s view whose date has passed (``study_past_date_q``), newest first."""
    return content_selectors.study_queryset(user).filter(study_past_date_q(today)).order_by("-published_at", "-id")


def _study_unread_item(user, today: datetime.date) -> WorkItem:
    items = list(study_items_past_date(user, today)[:50])
    counts = content_selectors.study_read_counts(items, user)
    unread = [(item, expected - read) for item in items for read, expected in [counts.get(item.pk, (0, 0))]
              if expected > read]
    entries = [Entry(item.title, reverse("content:study_readers", args=[item.pk]),
                     _("%(n)s not read") % {"n": n}) for item, n in unread[:FIRST_NAMES]]
    return WorkItem(key="study_unread", title=_("Study items past their date, not read by everyone"),
                    hint=_("Remind the members who have not read them (the reminders do so by themselves)."),
                    count=len(unread), level="warning" if unread else "success", entries=entries,
                    action_url=reverse("content:study_list"), action_label=_("Study corner"))


def _approvals_item(user) -> WorkItem:
    records = approvals_queryset(user)
    count = records.count()
    entries = [Entry(r.member.name, reverse("points:approvals"), r.day.isoformat()) for r in records[:FIRST_NAMES]] \
        if count else []
    return WorkItem(key="approvals", title=_("Study records waiting for approval"),
                    hint=_("Members' own study records count for points once approved."), count=count,
                    level="info" if count else "success", entries=entries,
                    action_url=reverse("points:approvals"), action_label=_("Approve study records"))


def care_targets_due(user, today: datetime.date):
    plans = restrict(VisitPlan.objects.filter(ends_on__gte=today,
                                              starts_on__lte=today + datetime.timedelta(days=settings.CARE_VISIT_AHEAD_DAYS)),
                     user, EDIT, committee="committee", branch="branch")
    return (PlanTarget.objects.filter(plan__in=plans, declined=False).exclude(care_selectors._visited())
            .select_related("member", "plan").order_by("plan__starts_on", "member__name_pinyin", "id"))


def _care_item(user, today: datetime.date) -> WorkItem:
    targets = care_targets_due(user, today)
    count = targets.count()
    entries = [Entry(t.member.name, reverse("care:plan", args=[t.plan_id]), t.plan.title)
               for t in targets[:FIRST_NAMES]] if count else []
    return WorkItem(key="care_visits", title=_("Care visits due"),
                    hint=_("Elderly members in a current or coming visit plan who have not been visited yet."),
                    count=count, level="warning" if count else "success", entries=entries,
                    action_url=reverse("care:plans"), action_label=_("Visit plans"))


def may_see_worklist(user) -> bool:
    """Does any item of the worklist reach the user (the roles only; no query)?"""
    return (member_rule_allowed(user, "lost_contact") or member_rule_allowed(user, "dues")
            or any(has_capability(user, c) for c in ("activities.manage", "study.readers", "points.approve",
                                                     "care.manage")))


def worklist(user, today: datetime.date | None = None) -> list[WorkItem]:
    """The user's worklist: every item their roles reach, in a fixed order, those with something to do first
    (those with nothing to do are included, shown as done)."""
    today = today or timezone.localdate()
    items = []
    if member_rule_allowed(user, "lost_contact"):
        items += [_member_item(user, "lost_contact", today, "danger"),
                  _member_item(user, "contact_warning", today, "warning"),
                  _member_item(user, "transfer", today, "warning"),
                  _member_item(user, "not_reported", today, "info"),
                  _member_item(user, "probation", today, "info")]
    if has_capability(user, "activities.manage"):
        items.append(_study_day_item(user, today))
    if has_capability(user, "study.readers"):
        items.append(_study_unread_item(user, today))
    if has_capability(user, "points.approve"):
        items.append(_approvals_item(user))
    if has_capability(user, "care.manage"):
        items.append(_care_item(user, today))
    if member_rule_allowed(user, "dues"):
        items.append(_member_item(user, "dues", today, "warning"))
    return sorted(items, key=lambda item: item.level == "success")  # what needs doing first, in this order
