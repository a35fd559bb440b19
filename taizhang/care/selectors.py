"""Reads of the care app. Everything about people goes through ``core.permissions`` (EDIT: care notes
are personal data for those who may change the member); lists are paged and totals are SQL."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.care import festivals
from taizhang.care.models import (
    FESTIVALS,
    Item,
    Movement,
    MovementKind,
    Occasion,
    PlanTarget,
    Subscription,
    SubscriptionStatus,
    Visit,
    VisitPlan,
)
from taizhang.core import generations
from taizhang.core.permissions import EDIT, allows, has_capability, home_committee, restrict, user_scope
from taizhang.members.models import Member, Status
from taizhang.members.selectors import annotate_status, roster_on, years_ago

# A subscription whose recipient is no longer here is flagged for cancellation with the post office.
GONE_STATUSES = [Status.OUTFLOW, Status.TRANSFERRED, Status.DECEASED, Status.LOST]


def may_care(user, committee_id=None) -> bool:
    return has_capability(user, "care.manage", committee_id)


def last_visit_day(member) -> datetime.date | None:
    """The ledger's contact source: the member's latest care visit."""
    return Visit.objects.counted().filter(members=member).aggregate(day=Max("visited_on"))["day"]


# Who still gets a paper or a festival visit: on the roster and reachable in Beijing (not away, not lost).
CARED_STATUSES = [Status.AWAITING, Status.ACTIVE, Status.SUSPENDED]


def elderly_on(day: datetime.date, *, committee, user=None):
    """The members aged ELDERLY_AGE+ on ``day`` who are cared for (``CARED_STATUSES`` that day)."""
    return (roster_on(user, day, committee=committee).filter(status__in=CARED_STATUSES)
            .filter(birth_date__lte=years_ago(settings.ELDERLY_AGE, day)))


# --- the 60+ list -------------------------------------------------------------------------------------------


def elderly_list(user, day: datetime.date, *, committee):
    """The members aged 60+ on ``day`` the user may edit (care notes are theirs), grouped by household:
    members of one household follow each other, a member without one stands alone."""
    qs = restrict(elderly_on(day, committee=committee), user, EDIT)
    return (qs.select_related("branch", "household", "care_profile")
            .order_by(F("household__name").asc(nulls_last=True), "household_id", "name_pinyin", "id"))


def elderly_filter(qs, *, branch=None, text="", flag=""):
    if branch is not None:
        qs = qs.filter(branch=branch)
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(name_pinyin__startswith=text.lower())
                       | Q(household__name__icontains=text))
    if flag == "alone":
        qs = qs.filter(care_profile__lives_alone=True)
    elif flag == "home_visit":
        qs = qs.filter(care_profile__needs_home_visit=True)
    elif flag == "housebound":
        qs = qs.filter(care_profile__mobility="housebound")
    elif flag == "no_notes":
        qs = qs.filter(care_profile__isnull=True)
    return qs


# --- subscriptions ------------------------------------------------------------------------------------------


def subscriptions_for(user, year: int, *, committee):
    """The year's subscriptions of the members the user may edit, each with ``flagged`` (the recipient
    flowed out, left, died or lost contact: cancel it with the post office)."""
    qs = Subscription.objects.filter(committee=committee, year=year)
    qs = restrict(qs, user, EDIT, committee="committee", branch="recipient__branch", member="recipient")
    return (qs.select_related("recipient__branch", "recipient__current_event", "household", "confirmed_by")
            .annotate(flagged=Q(status=SubscriptionStatus.ACTIVE)
                      & Q(recipient__current_event__status_after__in=GONE_STATUSES))
            .order_by("recipient__branch__sort_order", "recipient__name_pinyin", "id"))


def subscription_totals(qs) -> dict:
    active = Q(status=SubscriptionStatus.ACTIVE)
    return qs.aggregate(households=Count("pk", filter=active), copies=Coalesce(Sum("copies", filter=active), 0),
                        cost_fen=Coalesce(Sum("cost_fen", filter=active), 0),
                        cancelled=Count("pk", filter=~active),
                        flagged=Count("pk", filter=active & Q(recipient__current_event__status_after__in=GONE_STATUSES)))


def subscription_year(today: datetime.date | None = None) -> int:
    """The year whose list is being prepared: next year once its reference day has come, else this year."""
    today = today or timezone.localdate()
    return today.year + 1 if today >= reference_day(today.year + 1) else today.year


def reference_day(year: int) -> datetime.date:
    """The day whose age counts for ``year``'s list: CARE_SUBSCRIPTION_REFERENCE ("MM-DD") of the year before."""
    month, day = (int(part) for part in settings.CARE_SUBSCRIPTION_REFERENCE.split("-"))
    return datetime.date(year - 1, month, day)


@dataclass
class SubscriptionLine:
    key: tuple
    recipient: Member
    household: object = None
    members: list = field(default_factory=list)  # the household's elderly members on the day
    previous: Subscription | None = None
    current: Subscription | None = None
    change: str = "new"  # new | continued | stopped
    reason: str = ""

    @property
    def address(self) -> str:
        return (self.household.address if self.household is not None and self.household.address
                else self.recipient.residence)


@dataclass
class SubscriptionPreview:
    year: int
    day: datetime.date
    lines: list

    def count(self, change: str) -> int:
        return sum(1 for line in self.lines if line.change == change)

    @property
    def households(self) -> int:
        return self.count("new") + self.count("continued")

    @property
    def to_write(self) -> list:
        return [line for line in self.lines if line.change != "stopped" and line.current is None]

    def as_dict(self) -> dict:
        return {"year": self.year, "households": self.households, "new": self.count("new"),
                "continued": self.count("continued"), "stopped": self.count("stopped")}


def _stop_reason(status: str) -> str:
    return {
        Status.DECEASED: _("passed away"),
        Status.TRANSFERRED: _("transferred out of the organisation"),
        Status.OUTFLOW: _("moved away from Beijing"),
        Status.LOST: _("lost contact"),
    }.get(status, _("no member aged %(age)s or over in the household any more") % {"age": settings.ELDERLY_AGE})


def subscription_preview(*, committee, year: int, day: datetime.date | None = None) -> SubscriptionPreview:
    """The year's list as it would be: one line per household with a member aged 60+ on ``day`` (default
    ``reference_day``), marked new or continued against last year's, and last year's that stop (with why).
    Four queries whatever the size."""
    day = day or reference_day(year)
    elderly = list(elderly_on(day, committee=committee).select_related("household").order_by("birth_date", "id"))
    groups: dict[tuple, SubscriptionLine] = {}
    group_of: dict[int, tuple] = {}
    for member in elderly:  # eldest first: the eldest is the recipient unless last year's still qualifies
        key = ("h", member.household_id) if member.household_id else ("m", member.pk)
        group_of[member.pk] = key
        line = groups.setdefault(key, SubscriptionLine(key=key, recipient=member, household=member.household))
        line.members.append(member)

    def key_of(sub):
        return ("h", sub.household_id) if sub.household_id else group_of.get(sub.recipient_id, ("m", sub.recipient_id))

    subs = Subscription.objects.filter(committee=committee, year__in=[year - 1, year]).select_related(
        "recipient", "household")
    previous, current = {}, {}
    for sub in subs:
        if sub.year == year:
            current[key_of(sub)] = sub
        elif sub.status == SubscriptionStatus.ACTIVE:
            previous[key_of(sub)] = sub
    stopped_ids = [sub.recipient_id for key, sub in previous.items() if key not in groups]
    status_on_day = dict(annotate_status(Member.objects.filter(pk__in=stopped_ids), day)
                         .values_list("pk", "status"))
    lines = []
    for key, line in groups.items():
        line.previous, line.current = previous.get(key), current.get(key)
        if line.previous is not None:
            line.change = "continued"
            keep = next((m for m in line.members if m.pk == line.previous.recipient_id), None)
            line.recipient = keep or line.recipient
        lines.append(line)
    for key, sub in previous.items():
        if key not in groups:
            lines.append(SubscriptionLine(key=key, recipient=sub.recipient, household=sub.household, previous=sub,
                                          current=current.get(key), change="stopped",
                                          reason=_stop_reason(status_on_day.get(sub.recipient_id, ""))))
    order = {"new": 0, "continued": 1, "stopped": 2}
    lines.sort(key=lambda line: (order[line.change], line.recipient.branch_id, line.recipient.name_pinyin))
    return SubscriptionPreview(year=year, day=day, lines=lines)


# --- visit plans and visits ---------------------------------------------------------------------------------


def _visited(plan_field="plan"):
    return Exists(Visit.objects.counted().filter(plan=OuterRef(plan_field), members=OuterRef("member")))


def plans_for(user):
    """The visit plans of the branches the user may edit, each with its coverage counts (one query)."""
    qs = restrict(VisitPlan.objects.all(), user, EDIT, committee="committee", branch="branch")
    visited = PlanTarget.objects.filter(plan=OuterRef("pk")).annotate(v=_visited()).filter(v=True)
    return (qs.select_related("branch")
            .annotate(n_targets=Count("targets", distinct=True),
                      n_declined=Count("targets", filter=Q(targets__declined=True), distinct=True),
                      n_visited=Coalesce(Subquery(visited.order_by().values("plan").annotate(n=Count("pk"))
                                                  .values("n")[:1], output_field=IntegerField()), 0))
            .order_by("-starts_on", "branch__sort_order", "-id"))


def plan_get(user, pk):
    return plans_for(user).filter(pk=pk).first()


def plan_targets(plan):
    """The plan's members with ``visited`` (a visit of this plan met them), in branch order."""
    return (PlanTarget.objects.filter(plan=plan).select_related("member__branch", "member__household",
                                                                "member__care_profile")
            .annotate(visited=_visited()).order_by("visited", "declined", "member__name_pinyin", "id"))


def plan_day(plan) -> datetime.date:
    """The day a plan counts ages on when a member is added later: the festival day (or the first
    visiting day), or today if that is later."""
    day = festivals.festival_day(plan.occasion, plan.year) if plan.occasion in FESTIVALS else plan.starts_on
    return max(day, timezone.localdate())


def plan_candidates(user, plan):
    """Who may still be added to a plan: the branch's elderly on ``plan_day`` the user may edit, not in it
    yet (those who turned 60 or came to the branch after the plan was made)."""
    qs = elderly_on(plan_day(plan), committee=plan.committee).filter(branch_id=plan.branch_id)
    return (restrict(qs, user, EDIT).exclude(pk__in=PlanTarget.objects.filter(plan=plan).values("member_id"))
            .order_by("name_pinyin", "id"))


def coverage(plan) -> dict:
    """planned / visited / not yet / declined of one plan, in SQL."""
    visited = _visited()
    row = PlanTarget.objects.filter(plan=plan).aggregate(
        planned=Count("pk"), visited=Count("pk", filter=Q(visited)),
        declined=Count("pk", filter=Q(declined=True) & ~Q(visited)))
    row["not_yet"] = row["planned"] - row["visited"] - row["declined"]
    return row


def visits_for(user):
    qs = restrict(Visit.objects.all(), user, EDIT, committee="committee", branch="branch")
    return qs.select_related("branch", "plan", "recorded_by", "withdrawn_by").order_by("-visited_on", "-id")


def visit_get(user, pk):
    return visits_for(user).filter(pk=pk).prefetch_related("members", "photos", "gifts__item").first()


# --- the store ----------------------------------------------------------------------------------------------


def items_for(user, committee):
    if not may_care(user, committee.pk):
        return Item.objects.none()
    return Item.objects.filter(committee=committee).order_by("name", "id")


def item_movements(item):
    return (Movement.objects.filter(item=item)
            .select_related("member__branch", "household", "visit", "activity", "recorded_by", "reverses")
            .annotate(reversed=Exists(Movement.objects.filter(reverses=OuterRef("pk"))))
            .order_by("-day", "-id"))


def received_by(user, committee):
    """Hand-outs (net of corrections) to the members the user may edit: who received what and when."""
    qs = Movement.objects.filter(item__committee=committee, member__isnull=False).exclude(kind=MovementKind.IN)
    qs = restrict(qs, user, EDIT, committee="member__committee", branch="member__branch", member="member")
    return qs.select_related("item", "member__branch", "visit").order_by("-day", "-id")


def yearly_summary(committee, year: int) -> dict:
    """The store and the visits of a year: per item in, out and corrections; visits by occasion; the
    newspaper list. All SQL sums."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    in_year = Q(movements__day__range=(start, end))
    items = (Item.objects.filter(committee=committee)
             .annotate(received=Coalesce(Sum("movements__quantity", filter=in_year & Q(movements__kind=MovementKind.IN)), 0),
                       handed=Coalesce(-Sum("movements__quantity", filter=in_year & Q(movements__kind=MovementKind.OUT)), 0),
                       corrected=Coalesce(Sum("movements__quantity",
                                              filter=in_year & Q(movements__kind=MovementKind.REVERSAL)), 0),
                       spent_fen=Coalesce(Sum(F("movements__quantity") * F("movements__unit_price_fen"),
                                              filter=in_year & Q(movements__kind=MovementKind.IN)), 0))
             .order_by("name"))
    visits = Visit.objects.counted().filter(committee=committee, visited_on__range=(start, end))
    by_occasion = {row["occasion"]: row for row in visits.values("occasion").annotate(
        visits=Count("pk", distinct=True), members=Count("members", distinct=True))}
    labels = dict(Occasion.choices)
    occasions = [{"label": labels[code], **by_occasion[code]} for code in Occasion.values if code in by_occasion]
    subs = Subscription.objects.filter(committee=committee, year=year, status=SubscriptionStatus.ACTIVE).aggregate(
        households=Count("pk"), copies=Coalesce(Sum("copies"), 0), cost_fen=Coalesce(Sum("cost_fen"), 0))
    return {"items": list(items), "occasions": occasions, "subscriptions": subs,
            "visited_members": visits.aggregate(n=Count("members", distinct=True))["n"]}


# --- member page and home page ------------------------------------------------------------------------------

PANEL_ROWS = 5


def member_panel(*, member, user):
    """The care panel: for those who may edit the member everything; the member sees their own paper,
    visits and items (not the staff's care notes). Hidden for everyone else and for members under 60
    with no care history."""
    editor = allows(user, EDIT, committee_id=member.committee_id, branch_id=member.branch_id)
    own = member.user_id is not None and member.user_id == getattr(user, "pk", None)
    if not (editor or own):
        return None
    year = timezone.localdate().year
    sub = (Subscription.objects.filter(year=year).filter(
        Q(household_id=member.household_id) if member.household_id else Q(recipient=member, household__isnull=True))
        .select_related("recipient").first())
    visits = list(Visit.objects.counted().filter(members=member).order_by("-visited_on", "-id")[:PANEL_ROWS])
    items = list(Movement.objects.filter(member=member).exclude(kind=MovementKind.IN).select_related("item")
                 .order_by("-day", "-id")[:PANEL_ROWS])
    profile = getattr(member, "care_profile", None) if editor else None
    elderly = member.age >= settings.ELDERLY_AGE
    if not (elderly or sub or visits or items or profile):
        return None
    return {"member": member, "editor": editor, "profile": profile, "subscription": sub, "visits": visits,
            "items": items, "year": year, "elderly": elderly}


def home_panel(*, user):
    """The care card for staff: the next festival and who is not yet visited for it, the newspaper list
    to confirm, items low in stock. A fixed number of queries."""
    committee = home_committee(user)
    if committee is None or not may_care(user, committee.pk):
        return None
    today = timezone.localdate()
    occasion, day = festivals.next_festival(today)
    plans = restrict(VisitPlan.objects.filter(occasion=occasion, year=day.year), user, EDIT,
                     committee="committee", branch="branch")
    counts = PlanTarget.objects.filter(plan__in=plans).aggregate(
        planned=Count("pk"), not_yet=Count("pk", filter=Q(declined=False) & ~Q(_visited())))
    elderly = None
    if not counts["planned"]:
        # a roster count: cached under the committee's generation (renewed by every roster write) and the scope
        scope = user_scope(user, EDIT)
        parts = [day.isoformat(), committee.pk, sorted(scope.committee_ids), sorted(scope.branch_ids),
                 user.pk if scope.self_member else "", settings.ELDERLY_AGE]
        elderly = generations.cached("care-elderly", parts, [committee.pk],
                                     lambda: restrict(elderly_on(day, committee=committee), user, EDIT).count())
    context = {"occasion": Occasion(occasion).label, "day": day,
               "days_to": (day - today).days, "planned": counts["planned"], "not_yet": counts["not_yet"],
               "elderly_unplanned": elderly, "subscriptions": None,
               "low_stock": Item.objects.filter(committee=committee, stock__lte=F("low_stock")).count()}
    if has_capability(user, "care.subscriptions", committee.pk):
        year = subscription_year(today)
        subs = Subscription.objects.filter(committee=committee)
        context["subscriptions"] = {
            "year": year, "confirmed": subs.filter(year=year).exists(),
            "flagged": subs.filter(year=today.year, status=SubscriptionStatus.ACTIVE,
                                   recipient__current_event__status_after__in=GONE_STATUSES).count()}
    return context

