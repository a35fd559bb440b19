"""Donation pages (捐款): campaigns, their gifts, hand-overs, the thank-you list, 我的捐款 and the export.
Thin: scope (selectors / core.permissions) → form → service → redirect or render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from taizhang.core.errors import form_errors_from, service_message, service_on_form
from taizhang.core.exporting import export_xlsx
from taizhang.core.money import yuan, yuan_grouped
from taizhang.core.paging import page_of
from taizhang.core.permissions import (
    VIEW,
    capability_committee_ids,
    has_capability,
    home_committee_for,
    own_member,
    restrict,
)
from taizhang.finance import selectors, services
from taizhang.finance.forms import CampaignForm, GiftForm, HandoverForm, ReverseForm
from taizhang.finance.models import Gift, GiftMethod
from taizhang.members.models import Member

PAGE_SIZE = 50


def _campaign_or_404(request, pk):
    campaign = selectors.campaign_get(request.user, pk)
    if campaign is None:
        raise Http404(_("No such donation campaign."))
    return campaign


def _gift_form(request, campaign, data=None):
    members = (restrict(Member.objects.filter(committee_id=campaign.committee_id), request.user, VIEW)
               .select_related("branch").only("pk", "name", "branch__name").order_by("branch__sort_order", "name"))
    return GiftForm(data, members=members, initial={"received_on": timezone.localdate(), "method": GiftMethod.WECHAT})


@login_required
@require_GET
def campaign_list(request):
    campaigns = list(selectors.campaigns_for(request.user))
    can_create = bool(capability_committee_ids(request.user, "finance.manage"))
    if not campaigns and not can_create and not has_capability(request.user, "finance.view"):
        raise PermissionDenied(_("Your role does not give access to the donation campaigns."))
    return render(request, "finance/campaign_list.html", {"campaigns": campaigns, "can_create": can_create,
                                                          "today": timezone.localdate()})


@login_required
def campaign_create(request):
    committee = home_committee_for(
        request.user, "finance.manage", _("Your role cannot record money matters of this committee."))
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, committee=committee, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The campaign %(title)s is open.") % {"title": campaign.title})
            return redirect("finance:campaign", pk=campaign.pk)
    return render(request, "finance/campaign_form.html", {"form": form})


def _detail_context(request, campaign, *, gift_form=None, handover_form=None):
    manage = selectors.can_manage(request.user, campaign)
    gifts = selectors.gifts_visible(request.user, campaign)
    page = page_of(request, gifts.order_by("-received_on", "-id"), PAGE_SIZE)
    totals = selectors.campaign_totals(campaign)
    mine = None if manage else selectors.campaign_totals(campaign, gifts)
    percent = None
    if campaign.target_fen:
        percent = min(100, totals.total_fen * 100 // campaign.target_fen)
    return {
        "campaign": campaign, "manage": manage, "page": page, "totals": totals, "mine": mine, "percent": percent,
        "late_open": timezone.localdate() > campaign.deadline,
        "gift_form": gift_form or (_gift_form(request, campaign) if manage else None),
        "handover_form": handover_form or (HandoverForm(initial={"handed_on": timezone.localdate()}) if manage else None),
        "handovers": campaign.handovers.all() if manage else [],
        "reverse_form": ReverseForm() if manage else None,
    }


@login_required
@require_GET
def campaign_detail(request, pk):
    campaign = _campaign_or_404(request, pk)
    return render(request, "finance/campaign_detail.html", _detail_context(request, campaign))


@login_required
@require_POST
def gift_create(request, pk):
    campaign = _campaign_or_404(request, pk)
    if not selectors.can_manage(request.user, campaign):
        raise PermissionDenied(_("Your role cannot record money matters of this committee."))
    form = _gift_form(request, campaign, request.POST)
    if form.is_valid():
        try:
            gift = services.gift_record(actor=request.user, campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            if gift.late:
                messages.warning(request, _("%(name)s gave %(amount)s yuan after the deadline: recorded as a late gift.")
                                 % {"name": gift.giver_name, "amount": yuan_grouped(gift.amount_fen)})
            else:
                messages.success(request, _("%(name)s gave %(amount)s yuan: recorded.")
                                 % {"name": gift.giver_name, "amount": yuan_grouped(gift.amount_fen)})
            return redirect("finance:campaign", pk=campaign.pk)
    return render(request, "finance/campaign_detail.html", _detail_context(request, campaign, gift_form=form),
                  status=400)


@login_required
@require_POST
def gift_reverse(request, pk):
    gift = get_object_or_404(Gift.objects.select_related("campaign"), pk=pk)
    campaign = _campaign_or_404(request, gift.campaign_id)
    if not selectors.can_manage(request.user, campaign):
        raise PermissionDenied(_("Your role cannot record money matters of this committee."))
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("finance:campaign", pk=campaign.pk)
    service_message(request, lambda: services.gift_reverse(actor=request.user, gift=gift, reason=form.cleaned_data["reason"]),
                    lambda _reversal: _("The gift of %(name)s (%(amount)s yuan) is reversed.")
                    % {"name": gift.giver_name, "amount": yuan_grouped(gift.amount_fen)})
    return redirect("finance:campaign", pk=campaign.pk)


@login_required
@require_POST
def handover_create(request, pk):
    campaign = _campaign_or_404(request, pk)
    if not selectors.can_manage(request.user, campaign):
        raise PermissionDenied(_("Your role cannot record money matters of this committee."))
    form = HandoverForm(request.POST)
    if form.is_valid():
        if service_on_form(request, form, lambda: services.handover_record(
                actor=request.user, campaign=campaign, **form.cleaned_data), _("The hand-over is recorded.")):
            return redirect("finance:campaign", pk=campaign.pk)
    return render(request, "finance/campaign_detail.html", _detail_context(request, campaign, handover_form=form),
                  status=400)


@login_required
@require_GET
def thank_you(request, pk):
    campaign = _campaign_or_404(request, pk)
    if not selectors.can_manage(request.user, campaign):
        raise PermissionDenied(_("Only the committee's money staff print the thank-you list."))
    named, anonymous, anonymous_fen = selectors.thank_you_list(campaign)
    return render(request, "finance/thank_you.html", {
        "campaign": campaign, "named": named, "anonymous": anonymous, "anonymous_fen": anonymous_fen,
        "totals": selectors.campaign_totals(campaign)})


@login_required
@require_GET
def campaign_export(request, pk):
    campaign = _campaign_or_404(request, pk)
    gifts = selectors.gifts_visible(request.user, campaign).order_by("received_on", "id")
    header = [_("Giver"), _("Branch"), _("Amount (yuan)"), _("Date received"), _("Method"), _("Receipt number"),
              _("Late gift"), _("Reverses"), _("remark")]
    methods = dict(GiftMethod.choices)

    def rows():
        total = 0
        for g in gifts.iterator(chunk_size=2000):
            total += g.amount_fen
            yield [g.giver_name, g.member.branch.name if g.member_id else "", yuan(g.amount_fen), g.received_on,
                   str(methods.get(g.method, g.method)), g.receipt_no, _("yes") if g.late else "",
                   g.reverses.giver_name + " " + yuan(g.reverses.amount_fen) if g.reverses_id else "", g.note]
        yield [_("Total"), "", yuan(total), "", "", "", "", "", ""]

    return export_xlsx(request, header=header, rows=rows(), filename=f"{_('Gifts')}-{campaign.pk}.xlsx",
                       action="finance.gifts_export", obj=campaign, sheet_name=_("Gifts"),
                       details={"gifts": gifts.count()})


@login_required
@require_GET
def my_gifts(request):
    gifts = selectors.my_gifts(request.user)
    if not gifts.exists() and own_member(request.user) is None:
        raise PermissionDenied(_("Your login is not linked to a member record."))
    page = page_of(request, gifts, PAGE_SIZE)
    return render(request, "finance/my_gifts.html", {"page": page})
