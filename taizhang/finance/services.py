"""Writes of the money app. Each service checks the actor, runs in one transaction and writes its audit
entry (ARCHITECTURE.md rules 1 and 3). Amounts are integer fen."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.audit import audit_log
from taizhang.core.money import yuan
from taizhang.core.permissions import VIEW, allows, has_capability
from taizhang.finance.models import Campaign, Gift, GiftMethod, Handover


def _require_manage(actor, committee_id) -> None:
    if not has_capability(actor, "finance.manage", committee_id):
        raise PermissionDenied(_("Your role cannot record money matters of this committee."))


def _check_text(errors, name, value, limit):
    if len(value) > limit:
        errors.setdefault(name, []).append(_("At most %(n)s characters.") % {"n": limit})


@transaction.atomic
def campaign_create(*, actor, committee, title: str, purpose: str, starts_on: datetime.date,
                    deadline: datetime.date, target_fen: int | None = None, outsiders_allowed: bool = True) -> Campaign:
    """Open a donation campaign."""
    _require_manage(actor, committee.pk)
    title, purpose = (title or "").strip(), (purpose or "").strip()
    errors = {}
    if not title:
        errors["title"] = [_("Enter the title of the campaign.")]
    if not purpose:
        errors["purpose"] = [_("Say what the money is for.")]
    _check_text(errors, "title", title, 100)
    if starts_on and deadline and deadline < starts_on:
        errors["deadline"] = [_("The deadline cannot be before the start.")]
    if target_fen is not None and target_fen <= 0:
        errors["target_fen"] = [_("The target must be more than 0 yuan, or left empty.")]
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.create(committee=committee, title=title, purpose=purpose, starts_on=starts_on,
                                       deadline=deadline, target_fen=target_fen,
                                       outsiders_allowed=outsiders_allowed, created_by=actor)
    audit_log(actor=actor, action="finance.campaign_create", obj=campaign,
              new={"title": title, "starts_on": starts_on, "deadline": deadline,
                   "target": yuan(target_fen) if target_fen else None})
    return campaign


@transaction.atomic
def gift_record(*, actor, campaign: Campaign, amount_fen: int, received_on: datetime.date, method: str,
                member=None, giver_name: str = "", receipt_no: str = "", note: str = "",
                thanks_opt_out: bool = False) -> Gift:
    """Record a gift. A gift after the deadline is accepted and marked late; a gift before the start, in
    the future, of 0 or less, or without a giver is refused."""
    _require_manage(actor, campaign.committee_id)
    giver_name, receipt_no, note = (giver_name or "").strip(), (receipt_no or "").strip(), (note or "").strip()
    errors = {}
    if member is not None:
        if member.committee_id != campaign.committee_id or not allows(
                actor, VIEW, committee_id=member.committee_id, branch_id=member.branch_id):
            errors["member"] = [_("This member is not in the committee of the campaign.")]
        giver_name = member.name
    elif not giver_name:
        errors["giver_name"] = [_("Choose the member who gave, or enter the name of the giver.")]
    elif not campaign.outsiders_allowed:
        errors["giver_name"] = [_("This campaign takes gifts from members of the ledger only: choose the member.")]
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        errors["amount_fen"] = [_("The amount must be more than 0 yuan.")]
    if received_on is None:
        errors["received_on"] = [_("Enter the date the gift was received.")]
    elif received_on < campaign.starts_on:
        errors["received_on"] = [_("The campaign starts on %(day)s: a gift cannot be received before it.")
                                 % {"day": campaign.starts_on.isoformat()}]
    elif received_on > timezone.localdate():
        errors["received_on"] = [_("The date received cannot be in the future.")]
    if method not in GiftMethod.values:
        errors["method"] = [_("Choose how the gift was made.")]
    _check_text(errors, "giver_name", giver_name, 50)
    _check_text(errors, "receipt_no", receipt_no, 50)
    _check_text(errors, "note", note, 200)
    if errors:
        raise ValidationError(errors)
    late = received_on > campaign.deadline
    gift = Gift.objects.create(campaign=campaign, member=member, giver_name=giver_name, amount_fen=amount_fen,
                               received_on=received_on, method=method, receipt_no=receipt_no, note=note, late=late,
                               thanks_opt_out=thanks_opt_out, recorded_by=actor)
    audit_log(actor=actor, action="finance.gift_record", obj=gift,
              new={"campaign": campaign.pk, "giver": giver_name, "member": member.pk if member else None,
                   "amount": yuan(amount_fen), "received_on": received_on, "method": method, "late": late,
                   "receipt_no": receipt_no})
    return gift


@transaction.atomic
def gift_reverse(*, actor, gift: Gift, reason: str) -> Gift:
    """Cancel a wrong gift by a reversing entry (nothing is edited or deleted); once only."""
    gift = Gift.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=gift.pk)
    _require_manage(actor, gift.campaign.committee_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the gift is reversed.")]})
    if gift.reverses_id is not None:
        raise ValidationError({"reason": [_("This entry is itself a reversal and cannot be reversed.")]})
    if Gift.objects.filter(reverses=gift).exists():
        raise ValidationError({"reason": [_("This gift has already been reversed.")]})
    reversal = Gift.objects.create(
        campaign=gift.campaign, member=gift.member, giver_name=gift.giver_name, amount_fen=-gift.amount_fen,
        received_on=max(gift.received_on, timezone.localdate()), method=gift.method, receipt_no=gift.receipt_no,
        note=reason[:200], late=gift.late, thanks_opt_out=gift.thanks_opt_out, reverses=gift, recorded_by=actor)
    audit_log(actor=actor, action="finance.gift_reverse", obj=gift,
              old={"amount": yuan(gift.amount_fen)}, new={"reversal": reversal.pk, "reason": reason})
    return reversal


@transaction.atomic
def handover_record(*, actor, campaign: Campaign, amount_fen: int, handed_on: datetime.date, recipient: str,
                    receipt_no: str = "", note: str = "") -> Handover:
    """Record money passed on to the cause. More than was received (net of earlier hand-overs) is refused."""
    from taizhang.finance.selectors import campaign_totals

    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_manage(actor, campaign.committee_id)
    recipient, receipt_no, note = (recipient or "").strip(), (receipt_no or "").strip(), (note or "").strip()
    errors = {}
    if not recipient:
        errors["recipient"] = [_("Enter who received the money.")]
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        errors["amount_fen"] = [_("The amount must be more than 0 yuan.")]
    else:
        totals = campaign_totals(campaign)
        if amount_fen > totals.to_hand_over_fen:
            errors["amount_fen"] = [_("Only %(rest)s yuan received is not handed over yet.")
                                    % {"rest": yuan(totals.to_hand_over_fen)}]
    if handed_on is None:
        errors["handed_on"] = [_("Enter the date of the hand-over.")]
    elif handed_on > timezone.localdate():
        errors["handed_on"] = [_("The date of the hand-over cannot be in the future.")]
    _check_text(errors, "recipient", recipient, 100)
    _check_text(errors, "receipt_no", receipt_no, 50)
    if errors:
        raise ValidationError(errors)
    handover = Handover.objects.create(campaign=campaign, amount_fen=amount_fen, handed_on=handed_on,
                                       recipient=recipient, receipt_no=receipt_no, note=note, recorded_by=actor)
    audit_log(actor=actor, action="finance.handover_record", obj=handover,
              new={"campaign": campaign.pk, "amount": yuan(amount_fen), "handed_on": handed_on,
                   "recipient": recipient, "receipt_no": receipt_no})
    return handover
