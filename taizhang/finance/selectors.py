"""Reads of the money app: campaigns with their totals (SQL sums in fen), the gifts a user may see."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from taizhang.core.permissions import capability_committee_ids, has_capability, own_member, scope_q
from taizhang.finance.models import Campaign, Gift


@dataclass
class Totals:
    total_fen: int = 0  # received, net of reversals
    gifts: int = 0  # gifts not reversed
    late: int = 0
    late_fen: int = 0
    handed_fen: int = 0

    @property
    def to_hand_over_fen(self) -> int:
        return self.total_fen - self.handed_fen


def _sum(expr_filter=None):
    return Coalesce(Sum("amount_fen", filter=expr_filter), 0)


def campaign_totals(campaign: Campaign, gifts=None) -> Totals:
    """The campaign's totals in two queries (``gifts``: a narrower queryset, e.g. what a branch sees)."""
    gifts = Gift.objects.filter(campaign=campaign) if gifts is None else gifts
    valid = Q(reverses__isnull=True, reversed_by__isnull=True)
    row = gifts.aggregate(total=_sum(), late_total=_sum(Q(late=True)),
                          gifts=Count("pk", filter=valid), late=Count("pk", filter=valid & Q(late=True)))
    handed = campaign.handovers.aggregate(n=_sum())["n"]
    return Totals(total_fen=row["total"], gifts=row["gifts"], late=row["late"], late_fen=row["late_total"],
                  handed_fen=handed)


def campaigns_for(user):
    """The campaigns of the committees where the user may see money, each with its net total and count
    (one query), newest first."""
    ids = capability_committee_ids(user, "finance.view")
    member = own_member(user)
    q = Q(committee_id__in=ids)
    if member is not None:
        q |= Q(committee_id=member.committee_id)
    valid = Q(gifts__reverses__isnull=True, gifts__reversed_by__isnull=True)
    return (Campaign.objects.filter(q)
            .annotate(total_fen=Coalesce(Sum("gifts__amount_fen"), 0), gift_count=Count("gifts", filter=valid))
            .order_by("-starts_on", "-id"))


def can_manage(user, campaign) -> bool:
    return has_capability(user, "finance.manage", campaign.committee_id)


def gifts_visible(user, campaign):
    """The gifts of ``campaign`` the user may see: all of them for the committee's money staff; for a
    branch secretary the gifts of their branch's members; for a member their own."""
    gifts = Gift.objects.filter(campaign=campaign).select_related("member__branch", "reverses", "reversed_by")
    if can_manage(user, campaign):
        return gifts
    if has_capability(user, "finance.view", campaign.committee_id):
        return gifts.filter(scope_q(user, "view", committee="member__committee", branch="member__branch",
                                    member="member"))
    member = own_member(user, campaign.committee_id)
    return gifts.filter(member=member) if member is not None else gifts.none()


def campaign_get(user, pk):
    """The campaign if the user may see it, else None."""
    return campaigns_for(user).filter(pk=pk).first()


def my_gifts(user):
    member = own_member(user)
    if member is None:
        return Gift.objects.none()
    return Gift.objects.filter(member=member).select_related("campaign").order_by("-received_on", "-id")


def thank_you_list(campaign):
    """(named rows [(giver, total fen, late)], anonymous count, anonymous fen): one row per giver, net of
    reversals, biggest first; givers who opted out are counted, not named."""
    rows = (Gift.objects.filter(campaign=campaign).values("giver_name", "member_id", "thanks_opt_out")
            .annotate(total=Sum("amount_fen"), late=Count("pk", filter=Q(late=True, reverses__isnull=True)))
            .filter(total__gt=0).order_by("-total", "giver_name"))
    named, anonymous, anonymous_fen = [], 0, 0
    for row in rows:
        if row["thanks_opt_out"]:
            anonymous += 1
            anonymous_fen += row["total"]
        else:
            named.append((row["giver_name"], row["total"], row["late"] > 0))
    return named, anonymous, anonymous_fen
