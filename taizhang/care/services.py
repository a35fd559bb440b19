"""Writes of the care app. Each service checks the actor's right (core.permissions), validates with
Chinese messages keyed by field, writes in one transaction and leaves an audit entry."""

import datetime
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.care import festivals
from taizhang.care.models import (
    DEFAULT_PAPER,
    FESTIVALS,
    CareProfile,
    Item,
    Movement,
    MovementKind,
    Occasion,
    PlanTarget,
    Subscription,
    SubscriptionStatus,
    Visit,
    VisitMode,
    VisitPhoto,
    VisitPlan,
)
from taizhang.care.selectors import (
    SubscriptionPreview,
    elderly_on,
    plan_day,
    reference_day,
    subscription_preview,
)
from taizhang.core import crypto, generations
from taizhang.core.attachments import StoredFiles, clean_files
from taizhang.core.audit import audit_log
from taizhang.core.money import yuan
from taizhang.core.permissions import EDIT, allows, can_in_branch, has_capability
from taizhang.members.models import Member
from taizhang.members.services import member_contact_recompute, member_contact_touch
from taizhang.organisation.models import Committee


def require(actor, capability: str, committee_id) -> None:
    if not has_capability(actor, capability, committee_id):
        raise PermissionDenied(_("Your role cannot do this in the care of elderly members."))


def require_member(actor, member) -> None:
    if not allows(actor, EDIT, committee_id=member.committee_id, branch_id=member.branch_id):
        raise PermissionDenied(_("%(name)s is outside your scope.") % {"name": member.name})


# --- care notes ---------------------------------------------------------------------------------------------

PHONE_RE = re.compile(r"^\+?[\d\- ]{7,20}$")


@transaction.atomic
def care_profile_update(*, actor, member: Member, lives_alone: bool = False, needs_home_visit: bool = False,
                        mobility: str = "", living_situation: str = "", health: str = "", family_contact: str = "",
                        family_phone: str = "", notes: str = "") -> CareProfile:
    """Set a member's care flags and notes (personal data: only those who may edit the member; audited)."""
    require_member(actor, member)
    family_phone = re.sub(r"\s+", "", family_phone or "")
    if family_phone and not PHONE_RE.match(family_phone):
        raise ValidationError({"family_phone": [_("Enter the family contact's phone as digits, e.g. 13800138000.")]})
    profile, _created = CareProfile.objects.select_for_update().get_or_create(member=member)
    watched = ["lives_alone", "needs_home_visit", "mobility", "living_situation", "health", "family_contact", "notes"]
    old = {name: getattr(profile, name) for name in watched}
    old["family_phone"] = profile.family_phone_masked
    values = {"lives_alone": bool(lives_alone), "needs_home_visit": bool(needs_home_visit), "mobility": mobility or "",
              "living_situation": (living_situation or "").strip()[:200], "health": (health or "").strip()[:200],
              "family_contact": (family_contact or "").strip()[:100], "notes": (notes or "").strip()[:2000]}
    for name, value in values.items():
        setattr(profile, name, value)
    profile.family_phone_encrypted = crypto.encrypt(family_phone) if family_phone else ""
    profile.updated_by = actor
    profile.save()
    new = dict(values, family_phone=profile.family_phone_masked)
    changed = {k: v for k, v in new.items() if old.get(k) != v}
    audit_log(actor=actor, action="care.profile_update", obj=member,
              old={k: old[k] for k in changed}, new=changed)
    return profile


# --- newspaper subscriptions --------------------------------------------------------------------------------


def _check_subscription_values(paper: str, copies, cost_fen) -> dict:
    errors = {}
    if not (paper or "").strip():
        errors["paper"] = [_("Name the newspaper.")]
    if not isinstance(copies, int) or copies < 1:
        errors["copies"] = [_("At least one copy.")]
    if not isinstance(cost_fen, int) or cost_fen < 0:
        errors["cost_fen"] = [_("The cost cannot be negative.")]
    return errors


@transaction.atomic
def subscriptions_confirm(*, actor, committee, year: int, day: datetime.date | None = None, paper: str = DEFAULT_PAPER,
                          copies: int = 1, price_fen: int = 0) -> tuple[SubscriptionPreview, list[Subscription]]:
    """Write the year's list as previewed (the lines without a subscription yet), all or nothing."""
    if actor is not None:
        require(actor, "care.subscriptions", committee.pk)
    errors = _check_subscription_values(paper, copies, price_fen)
    if not 2000 <= year <= 2100:
        errors["year"] = [_("Choose a year between 2000 and 2100.")]
    if errors:
        raise ValidationError(errors)
    Committee.objects.select_for_update().filter(pk=committee.pk).first()  # one confirmation at a time
    preview = subscription_preview(committee=committee, year=year, day=day)
    made = [Subscription(committee=committee, year=year, household=line.household, recipient=line.recipient,
                         address=(line.address or "")[:200], paper=paper.strip()[:50], copies=copies,
                         cost_fen=price_fen * copies, confirmed_by=actor)
            for line in preview.to_write]
    Subscription.objects.bulk_create(made)
    generations.changed(generations.CARE, [committee.pk])
    for line, sub in zip(preview.to_write, made, strict=True):
        line.current = sub
    audit_log(actor=actor, action="care.subscriptions_confirm", obj=committee,
              new={**preview.as_dict(), "day": preview.day, "written": len(made), "paper": paper,
                   "copies": copies, "price": yuan(price_fen)})
    return preview, made


@transaction.atomic
def subscription_add(*, actor, committee, year: int, member: Member, paper: str = DEFAULT_PAPER, copies: int = 1,
                     cost_fen: int = 0, address: str = "") -> Subscription:
    """One subscription by hand: for a household (or a member without one) with a member aged 60+ on the
    year's reference day, and only one per household and year."""
    require(actor, "care.subscriptions", committee.pk)
    errors = _check_subscription_values(paper, copies, cost_fen)
    if member is None or member.committee_id != committee.pk:
        errors["member"] = [_("Choose a member of this committee.")]
    if errors:
        raise ValidationError(errors)
    day = reference_day(year)
    same_home = Member.objects.filter(household_id=member.household_id) if member.household_id else \
        Member.objects.filter(pk=member.pk)
    if not elderly_on(day, committee=committee).filter(pk__in=same_home.values("pk")).exists():
        raise ValidationError({"member": [_("Nobody in %(name)s's household is aged %(age)s or over on %(day)s "
                                            "(and on the roster): the paper is for households of elderly members.")
                                          % {"name": member.name, "age": settings.ELDERLY_AGE, "day": day}]})
    taken = Subscription.objects.filter(year=year, household_id=member.household_id) if member.household_id else \
        Subscription.objects.filter(year=year, recipient=member, household__isnull=True)
    if taken.exists():
        raise ValidationError({"member": [_("%(name)s's household already has a subscription for %(year)s.")
                                          % {"name": member.name, "year": year}]})
    address = (address or "").strip() or (member.household.address if member.household_id else "") or member.residence
    try:
        with transaction.atomic():
            sub = Subscription.objects.create(committee=committee, year=year, household_id=member.household_id,
                                              recipient=member, address=address[:200], paper=paper.strip()[:50],
                                              copies=copies, cost_fen=cost_fen, confirmed_by=actor)
    except IntegrityError as exc:  # the same household confirmed at the same moment
        raise ValidationError({"member": [_("%(name)s's household already has a subscription for %(year)s.")
                                          % {"name": member.name, "year": year}]}) from exc
    generations.changed(generations.CARE, [committee.pk])
    audit_log(actor=actor, action="care.subscription_add", obj=sub,
              new={"year": year, "recipient": member.name, "paper": sub.paper, "copies": copies, "cost": yuan(cost_fen)})
    return sub


@transaction.atomic
def subscription_cancel(*, actor, subscription: Subscription, reason: str) -> Subscription:
    sub = Subscription.objects.select_for_update(of=("self",)).get(pk=subscription.pk)
    require(actor, "care.subscriptions", sub.committee_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the subscription is cancelled.")]})
    if sub.status == SubscriptionStatus.CANCELLED:
        raise ValidationError({"reason": [_("This subscription is already cancelled.")]})
    sub.status, sub.cancel_reason = SubscriptionStatus.CANCELLED, reason[:200]
    sub.save(update_fields=["status", "cancel_reason"])
    generations.changed(generations.CARE, [sub.committee_id])
    audit_log(actor=actor, action="care.subscription_cancel", obj=sub, new={"reason": sub.cancel_reason})
    return sub


def _book(*, actor, committee, year: int, use_code: str, field: str, missing: str, **expense):
    """Care's one way to book a cost: an expense on the ``year`` budget's line for ``use_code`` through finance's
    expense service (four eyes, over-plan confirmation, receipt check). A refused year, or a budget without
    that line (``missing``), is said on the caller's ``field``. Runs in the caller's transaction."""
    from taizhang.finance import budget as money

    try:
        budget = money.budget_get_or_create(actor=actor, committee=committee, year=year)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    line = budget.lines.select_related("use").filter(use__code=use_code).first()
    if line is None:
        raise ValidationError({field: [missing]})
    return money.expense_record(actor=actor, line=line, **expense)


@transaction.atomic
def subscriptions_book(*, actor, committee, year: int, spent_on, payee: str, decided_on, decision: str = "",
                       decision_activity=None, receipt_no: str = "", confirm_over_budget: bool = False):
    """Book the cost of the year's subscriptions not yet booked as one expense on the budget's newspaper line
    (报刊和学习资料), awaiting approval by someone else as every expense; the subscriptions point at it."""
    require(actor, "care.subscriptions", committee.pk)
    subs = list(Subscription.objects.select_for_update().filter(
        committee=committee, year=year, status=SubscriptionStatus.ACTIVE, expense__isnull=True))
    if not subs:
        raise ValidationError({"year": [_("Every subscription of %(year)s is already booked (or there is none).")
                                        % {"year": year}]})
    total = sum(s.cost_fen for s in subs)
    if total <= 0:
        raise ValidationError({"year": [_("The subscriptions of %(year)s cost nothing: enter their cost first.")
                                        % {"year": year}]})
    papers = "、".join(sorted({s.paper for s in subs}))
    expense = _book(
        actor=actor, committee=committee, year=year, use_code="newspapers", field="year",
        missing=_("The %(year)s budget has no line for newspapers and study materials.") % {"year": year},
        spent_on=spent_on, amount_fen=total, payee=payee, receipt_no=receipt_no,
        description=_("%(year)s newspapers for %(n)d households of elderly members: %(papers)s")
        % {"year": year, "n": len(subs), "papers": papers},
        decided_on=decided_on, decision=decision, decision_activity=decision_activity,
        confirm_over_budget=confirm_over_budget)
    Subscription.objects.filter(pk__in=[s.pk for s in subs]).update(expense=expense)
    audit_log(actor=actor, action="care.subscriptions_book", obj=committee,
              new={"year": year, "subscriptions": len(subs), "amount": yuan(total), "expense": expense.pk})
    return expense


# --- visit plans and visits ---------------------------------------------------------------------------------


def plan_defaults(occasion: str, year: int) -> tuple[datetime.date, datetime.date]:
    """A festival's visiting window: the two weeks before the day, and the day itself."""
    day = festivals.festival_day(occasion, year)
    return day - datetime.timedelta(days=14), day


@transaction.atomic
def plan_create(*, actor, branch, occasion: str, year: int, title: str = "", starts_on=None, ends_on=None,
                note: str = "", members=None) -> VisitPlan:
    """A visit plan for the branch: by default every elderly member of the branch (aged 60+ on the festival
    day, or on the first visiting day for another occasion). One plan per festival, year and branch."""
    require(actor, "care.manage", branch.committee_id)
    if not can_in_branch(actor, branch, EDIT):
        raise PermissionDenied(_("%(branch)s is outside your scope.") % {"branch": branch.name})
    errors = {}
    if occasion not in Occasion.values:
        errors["occasion"] = [_("Choose the occasion.")]
    if not isinstance(year, int) or not festivals.FIRST_YEAR <= year <= festivals.LAST_YEAR:
        errors["year"] = [_("Choose a year between %(first)s and %(last)s.")
                          % {"first": festivals.FIRST_YEAR, "last": festivals.LAST_YEAR}]
    if errors:
        raise ValidationError(errors)
    label = Occasion(occasion).label
    if occasion in FESTIVALS:
        default_start, default_end = plan_defaults(occasion, year)
        starts_on, ends_on = starts_on or default_start, ends_on or default_end
        if VisitPlan.objects.filter(branch=branch, occasion=occasion, year=year).exists():
            errors["occasion"] = [_("%(branch)s already has a plan for the %(year)s %(occasion)s.")
                                  % {"branch": branch.name, "year": year, "occasion": label}]
    if starts_on is None:
        errors["starts_on"] = [_("Enter the first day of the visits.")]
    if ends_on is None:
        errors["ends_on"] = [_("Enter the last day of the visits.")]
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("The last day cannot be before the first.")]
    if errors:
        raise ValidationError(errors)
    day = festivals.festival_day(occasion, year) if occasion in FESTIVALS else starts_on
    if members is None:
        members = list(elderly_on(day, committee=branch.committee).filter(branch=branch).order_by("birth_date", "id"))
    else:
        members = list(members)
        outside = [m.name for m in members if m.branch_id != branch.pk]
        if outside:
            raise ValidationError({"members": [_("Not members of %(branch)s: %(names)s.")
                                               % {"branch": branch.name, "names": "、".join(outside)}]})
    plan = VisitPlan.objects.create(
        committee_id=branch.committee_id, branch=branch, occasion=occasion, year=year,
        title=(title or "").strip()[:100] or _("%(year)s %(occasion)s visits") % {"year": year, "occasion": label},
        starts_on=starts_on, ends_on=ends_on, note=(note or "").strip()[:2000], created_by=actor)
    PlanTarget.objects.bulk_create([PlanTarget(plan=plan, member=m) for m in members])
    audit_log(actor=actor, action="care.plan_create", obj=plan,
              new={"branch": branch.name, "occasion": occasion, "year": year, "members": len(members)})
    return plan


@transaction.atomic
def plan_target_add(*, actor, plan: VisitPlan, member: Member) -> PlanTarget:
    """Add a member to an existing plan: one of the plan's branch who is aged 60+ (and cared for) on the
    festival day or today, whichever is later — e.g. who turned 60 or moved in after the plan was made."""
    plan = VisitPlan.objects.select_for_update().select_related("branch").get(pk=plan.pk)
    require(actor, "care.manage", plan.committee_id)
    if not can_in_branch(actor, plan.branch, EDIT):
        raise PermissionDenied(_("%(branch)s is outside your scope.") % {"branch": plan.branch.name})
    if member is None:
        raise ValidationError({"member": [_("Choose the member to add.")]})
    require_member(actor, member)
    if member.branch_id != plan.branch_id:
        raise ValidationError({"member": [_("Not members of %(branch)s: %(names)s.")
                                          % {"branch": plan.branch.name, "names": member.name}]})
    day = plan_day(plan)
    if not elderly_on(day, committee=plan.branch.committee).filter(pk=member.pk).exists():
        raise ValidationError({"member": [_("%(name)s is not aged %(age)s or over on %(day)s (or not on the roster).")
                                          % {"name": member.name, "age": settings.ELDERLY_AGE, "day": day}]})
    if PlanTarget.objects.filter(plan=plan, member=member).exists():
        raise ValidationError({"member": [_("%(name)s is already in this plan.") % {"name": member.name}]})
    target = PlanTarget.objects.create(plan=plan, member=member)
    audit_log(actor=actor, action="care.plan_target_add", obj=plan, new={"member": member.name, "day": day})
    return target


@transaction.atomic
def plan_target_update(*, actor, target: PlanTarget, visitors: str = "", planned_on=None, declined: bool = False,
                       decline_reason: str = "") -> PlanTarget:
    """Who visits a planned member and when, or that they declined a visit (with why)."""
    target = PlanTarget.objects.select_for_update(of=("self",)).select_related("plan", "member").get(pk=target.pk)
    require(actor, "care.manage", target.plan.committee_id)
    require_member(actor, target.member)
    errors = {}
    plan = target.plan
    if planned_on is not None and not plan.starts_on - datetime.timedelta(days=60) <= planned_on <= plan.ends_on \
            + datetime.timedelta(days=60):
        errors["planned_on"] = [_("Plan the visit near the plan's days (%(start)s to %(end)s).")
                                % {"start": plan.starts_on, "end": plan.ends_on}]
    decline_reason = (decline_reason or "").strip()
    if declined and not decline_reason:
        errors["decline_reason"] = [_("Say why the visit was declined.")]
    if errors:
        raise ValidationError(errors)
    target.visitors, target.planned_on = (visitors or "").strip()[:200], planned_on
    target.declined, target.decline_reason = bool(declined), decline_reason[:200] if declined else ""
    target.save()
    audit_log(actor=actor, action="care.plan_target_update", obj=plan,
              new={"member": target.member.name, "visitors": target.visitors, "planned_on": planned_on,
                   "declined": target.declined, "reason": target.decline_reason})
    return target


@transaction.atomic
def visit_record(*, actor, committee, visited_on, mode: str, visitors: str, members, plan: VisitPlan | None = None,
                 occasion: str = "", talk: str = "", needs: str = "", gifts=(), photos=()) -> Visit:
    """Record a visit: who met whom, how, what was said and needed; hand out the gifts from the store and
    keep the photos, all or nothing. The members met count as contacted that day."""
    require(actor, "care.manage", committee.pk)
    members = list(members or [])
    errors = {}
    if plan is not None:
        if plan.committee_id != committee.pk:
            errors["plan"] = [_("The plan belongs to another committee.")]
        occasion = plan.occasion
    if occasion not in Occasion.values:
        errors["occasion"] = [_("Choose the occasion.")]
    if visited_on is None:
        errors["visited_on"] = [_("Enter the date of the visit.")]
    elif visited_on > timezone.localdate():
        errors["visited_on"] = [_("The date of the visit cannot be in the future.")]
    if mode not in VisitMode.values:
        errors["mode"] = [_("Choose how the visit took place.")]
    visitors = (visitors or "").strip()
    if not visitors:
        errors["visitors"] = [_("Name who visited.")]
    if not members:
        errors["members"] = [_("Choose the member or members met.")]
    for member in members:
        if member.committee_id != committee.pk or not allows(actor, EDIT, committee_id=member.committee_id,
                                                               branch_id=member.branch_id):
            errors.setdefault("members", []).append(_("%(name)s is outside your scope.") % {"name": member.name})
    cleaned_photos = []
    try:
        cleaned_photos = clean_files(photos)
    except ValidationError as exc:
        errors["photos"] = exc.message_dict.get("files", exc.messages)
    gifts = [(item, quantity) for item, quantity in gifts if item is not None or quantity]
    for item, quantity in gifts:
        if item is None:
            errors.setdefault("gifts", []).append(_("Choose the item handed out."))
        elif item.committee_id != committee.pk:
            errors.setdefault("gifts", []).append(_("%(item)s is not in this committee's store.") % {"item": item.name})
        elif not isinstance(quantity, int) or quantity <= 0:
            errors.setdefault("gifts", []).append(_("%(item)s: the quantity must be more than 0.") % {"item": item.name})
    if errors:
        raise ValidationError(errors)
    branch_id = plan.branch_id if plan is not None else members[0].branch_id
    visit = Visit.objects.create(committee=committee, branch_id=branch_id, plan=plan, occasion=occasion,
                                 visited_on=visited_on, mode=mode, visitors=visitors[:200], talk=(talk or "").strip(),
                                 needs=(needs or "").strip(), recorded_by=actor)
    visit.members.set(members)
    generations.changed(generations.CARE, [committee.pk])
    single = members[0] if len(members) == 1 else None
    household_id = members[0].household_id if len({m.household_id for m in members}) == 1 else None
    handed = []
    for item, quantity in gifts:
        try:
            stock_out(actor=actor, item=item, quantity=quantity, day=visited_on, member=single,
                      household_id=household_id, visit=visit)
        except ValidationError as exc:
            raise ValidationError({"gifts": exc.messages}) from exc
        handed.append({"item": item.name, "quantity": quantity})
    with StoredFiles() as stored:
        for f in cleaned_photos:
            stored.attach(VisitPhoto(visit=visit), f, uploaded_by=actor)
        member_contact_touch(member_ids=[m.pk for m in members], day=visited_on)
        audit_log(actor=actor, action="care.visit_record", obj=visit,
                  new={"visited_on": visited_on, "mode": mode, "occasion": occasion, "visitors": visitors,
                       "members": [m.name for m in members], "gifts": handed,
                       "photos": [{"name": f.name, "sha256": f.sha256} for f in cleaned_photos]})
    return visit


@transaction.atomic
def visit_withdraw(*, actor, visit: Visit, reason: str) -> Visit:
    """Withdraw a visit recorded by mistake (nothing is deleted): it no longer counts for its plan's coverage
    or as contact (the members' last contact is recomputed from the ledger's contact sources), and what it
    handed out goes back to the store by reversing movements, all or nothing."""
    visit = Visit.objects.select_for_update(of=("self",)).select_related("branch").get(pk=visit.pk)
    require(actor, "care.manage", visit.committee_id)
    if not allows(actor, EDIT, committee_id=visit.committee_id, branch_id=visit.branch_id):
        raise PermissionDenied(_("%(branch)s is outside your scope.") % {"branch": visit.branch.name})
    members = list(visit.members.all())
    for member in members:
        require_member(actor, member)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the visit is withdrawn.")]})
    if visit.withdrawn_at is not None:
        raise ValidationError({"reason": [_("This visit is already withdrawn.")]})
    visit.withdrawn_at, visit.withdrawn_by, visit.withdraw_reason = timezone.now(), actor, reason[:200]
    visit.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    generations.changed(generations.CARE, [visit.committee_id])
    returned = []
    handed = (Movement.objects.filter(visit=visit, kind=MovementKind.OUT, reversed_by__isnull=True)
              .select_related("item", "member").order_by("id"))
    for movement in handed:
        _reverse(actor=actor, movement=movement,
                 reason=_("Visit of %(day)s withdrawn: %(reason)s") % {"day": visit.visited_on, "reason": reason})
        returned.append({"item": movement.item.name, "quantity": -movement.quantity})
    for member in members:
        member_contact_recompute(member=member)
    audit_log(actor=actor, action="care.visit_withdraw", obj=visit, old={"status": "recorded"},
              new={"status": "withdrawn", "reason": visit.withdraw_reason, "visited_on": visit.visited_on,
                   "members": [m.name for m in members], "returned": returned})
    return visit


# --- the store ----------------------------------------------------------------------------------------------


@transaction.atomic
def item_create(*, actor, committee, name: str, unit: str, low_stock: int = 5) -> Item:
    require(actor, "care.store", committee.pk)
    name, unit = (name or "").strip(), (unit or "").strip()
    errors = {}
    if not name:
        errors["name"] = [_("Name the item.")]
    elif Item.objects.filter(committee=committee, name=name).exists():
        errors["name"] = [_("The store already has an item called %(name)s.") % {"name": name}]
    if not unit:
        errors["unit"] = [_("Enter the unit, e.g. 个, 本 or 份.")]
    if not isinstance(low_stock, int) or low_stock < 0:
        errors["low_stock"] = [_("The warning level cannot be negative.")]
    if errors:
        raise ValidationError(errors)
    item = Item.objects.create(committee=committee, name=name[:50], unit=unit[:10], low_stock=low_stock)
    audit_log(actor=actor, action="care.item_create", obj=item, new={"name": item.name, "unit": item.unit})
    return item


def _locked(item: Item) -> Item:
    return Item.objects.select_for_update().get(pk=item.pk)


def _check_day(day, errors):
    if day is None:
        errors["day"] = [_("Enter the date.")]
    elif day > timezone.localdate():
        errors["day"] = [_("The date cannot be in the future.")]


@transaction.atomic
def stock_in(*, actor, item: Item, quantity: int, day, supplier: str = "", unit_price_fen: int | None = None,
             expense=None, note: str = "") -> Movement:
    item = _locked(item)
    require(actor, "care.store", item.committee_id)
    errors = {}
    if not isinstance(quantity, int) or quantity <= 0:
        errors["quantity"] = [_("The quantity must be more than 0.")]
    if unit_price_fen is not None and (not isinstance(unit_price_fen, int) or unit_price_fen < 0):
        errors["unit_price_fen"] = [_("The unit price cannot be negative.")]
    if expense is not None and expense.line.budget.committee_id != item.committee_id:
        errors["expense"] = [_("The expense belongs to another committee.")]
    _check_day(day, errors)
    if errors:
        raise ValidationError(errors)
    movement = Movement.objects.create(item=item, kind=MovementKind.IN, quantity=quantity, day=day,
                                       supplier=(supplier or "").strip()[:100], unit_price_fen=unit_price_fen,
                                       expense=expense, note=(note or "").strip()[:200], recorded_by=actor)
    Item.objects.filter(pk=item.pk).update(stock=F("stock") + quantity)
    audit_log(actor=actor, action="care.stock_in", obj=item,
              new={"quantity": quantity, "day": day, "supplier": movement.supplier,
                   "unit_price": movement.unit_price, "stock": item.stock + quantity})
    return movement


@transaction.atomic
def stock_out(*, actor, item: Item, quantity: int, day, member=None, household_id=None, visit=None, activity=None,
              note: str = "") -> Movement:
    """Hand out ``quantity`` of ``item`` to a member, a household, a visit or an activity. The item's row is
    locked first, so two hand-outs at once cannot take the stock below zero (the CHECK is the last guard)."""
    item = _locked(item)
    require(actor, "care.manage", item.committee_id)
    errors = {}
    if not isinstance(quantity, int) or quantity <= 0:
        errors["quantity"] = [_("The quantity must be more than 0.")]
    elif quantity > item.stock:
        errors["quantity"] = [_("Only %(stock)s %(unit)s of %(item)s in stock: %(quantity)s cannot be handed out.")
                              % {"stock": item.stock, "unit": item.unit, "item": item.name, "quantity": quantity}]
    if member is None and household_id is None and visit is None and activity is None:
        errors["member"] = [_("Choose who received it: a member, a visit or an activity.")]
    if member is not None:
        if member.committee_id != item.committee_id:
            errors["member"] = [_("Choose a member of this committee.")]
        elif not allows(actor, EDIT, committee_id=member.committee_id, branch_id=member.branch_id):
            errors["member"] = [_("%(name)s is outside your scope.") % {"name": member.name}]
    if activity is not None and activity.committee_id != item.committee_id:
        errors["activity"] = [_("The activity belongs to another committee.")]
    _check_day(day, errors)
    if errors:
        raise ValidationError(errors)
    movement = Movement.objects.create(item=item, kind=MovementKind.OUT, quantity=-quantity, day=day, member=member,
                                       household_id=household_id, visit=visit, activity=activity,
                                       note=(note or "").strip()[:200], recorded_by=actor)
    Item.objects.filter(pk=item.pk).update(stock=F("stock") - quantity)
    audit_log(actor=actor, action="care.stock_out", obj=item,
              new={"quantity": quantity, "day": day, "member": member.name if member else "",
                   "visit": visit.pk if visit else None, "activity": activity.pk if activity else None,
                   "stock": item.stock - quantity})
    return movement


@transaction.atomic
def stock_in_book(*, actor, movement: Movement, spent_on, payee: str, decided_on, decision: str = "",
                  decision_activity=None, receipt_no: str = "", confirm_over_budget: bool = False, scans=()):
    """Book what a stock-in cost (quantity × unit price) as one expense on the budget's line for elderly
    visits and gifts (困难党员帮扶和老党员慰问), awaiting approval by someone else as every expense; the
    stock-in points at it. The stock-in's row is locked first, so it is never booked twice, also when two
    requests come at once."""
    movement = Movement.objects.select_for_update(of=("self",)).select_related("item").get(pk=movement.pk)
    item = movement.item
    require(actor, "care.store", item.committee_id)
    if movement.kind != MovementKind.IN:
        raise ValidationError({"movement": [_("Only a stock-in can be booked as an expense.")]})
    if movement.expense_id is not None:
        raise ValidationError({"movement": [_("This stock-in is already booked (expense of %(day)s).")
                                            % {"day": movement.expense.spent_on}]})
    if Movement.objects.filter(reverses=movement).exists():
        raise ValidationError({"movement": [_("This stock-in was corrected: it cannot be booked.")]})
    if not movement.unit_price_fen:
        raise ValidationError({"movement": [_("This stock-in has no unit price: correct it and record it again "
                                              "with its price.")]})
    if spent_on is None:
        raise ValidationError({"spent_on": [_("Enter the date of the expense.")]})
    total = movement.unit_price_fen * movement.quantity
    description = _("%(quantity)d %(unit)s of %(item)s for the store") % {
        "quantity": movement.quantity, "unit": item.unit, "item": item.name}
    if movement.supplier:
        description += f"（{movement.supplier}）"
    expense = _book(
        actor=actor, committee=item.committee, year=spent_on.year, use_code="care", field="spent_on",
        missing=_("The %(year)s budget has no line for elderly visits and gifts.") % {"year": spent_on.year},
        spent_on=spent_on, amount_fen=total, payee=payee, receipt_no=receipt_no,
        description=description, decided_on=decided_on, decision=decision, decision_activity=decision_activity,
        confirm_over_budget=confirm_over_budget, scans=scans)
    Movement.objects.filter(pk=movement.pk).update(expense=expense)
    audit_log(actor=actor, action="care.stock_in_book", obj=item,
              new={"movement": movement.pk, "quantity": movement.quantity, "unit_price": movement.unit_price,
                   "amount": yuan(total), "expense": expense.pk})
    return expense


def _reverse(*, actor, movement: Movement, reason: str) -> Movement:
    item = _locked(movement.item)
    if Movement.objects.filter(reverses=movement).exists():
        raise ValidationError({"reason": [_("This movement is already corrected.")]})
    if movement.kind == MovementKind.REVERSAL:
        raise ValidationError({"reason": [_("A correction cannot itself be corrected: record the movement again.")]})
    if item.stock - movement.quantity < 0:
        raise ValidationError({"reason": [_("Only %(stock)s %(unit)s of %(item)s are left: taking back this stock-in "
                                            "would make the stock negative.")
                                          % {"stock": item.stock, "unit": item.unit, "item": item.name}]})
    reversal = Movement.objects.create(item=item, kind=MovementKind.REVERSAL, quantity=-movement.quantity,
                                       day=timezone.localdate(), member=movement.member,
                                       household_id=movement.household_id, activity=movement.activity,
                                       reverses=movement, note=reason[:200], recorded_by=actor)
    Item.objects.filter(pk=item.pk).update(stock=F("stock") - movement.quantity)
    audit_log(actor=actor, action="care.movement_reverse", obj=item,
              new={"reverses": movement.pk, "quantity": -movement.quantity, "reason": reason,
                   "stock": item.stock - movement.quantity})
    return reversal


@transaction.atomic
def movement_reverse(*, actor, movement: Movement, reason: str) -> Movement:
    """Correct a wrong movement by its opposite (never an edit); refused if the stock would go negative."""
    require(actor, "care.store", movement.item.committee_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the movement is corrected.")]})
    return _reverse(actor=actor, movement=movement, reason=reason)
