"""Writes of the talks area (谈心谈话). Each service checks the actor, validates everything before writing,
owns its transaction and writes its audit entry. Talk content never goes into the audit log."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core import crypto
from taizhang.core.audit import audit_log
from taizhang.core.permissions import EDIT, capability_holders, has_capability, restrict
from taizhang.members.models import Member
from taizhang.places import talks_selectors
from taizhang.places.models.talks import Talk, TalkKind, TalkReader, TalkSettings

MAX_TEXT = 10000


def talk_record(*, actor, committee, held_on, kind, place="", talkers=(), members=(), topics="", content="",
                agreed="", follow_up_on=None, ip_address=None) -> Talk:
    """Record a talk. The actor is always one of the talkers; the other talkers are staff of the committee
    (``talks.manage``); every member talked with must be one the actor may edit. A talk dated in the
    future, a follow-up before the talk, or a member outside the actor's scope: ValidationError, nothing
    written."""
    if not talks_selectors.may_record(actor, committee):
        raise PermissionDenied(_("Your role does not let you record heart-to-heart talks."))
    errors = {}
    today = timezone.localdate()
    if held_on is None:
        errors["held_on"] = _("Give the date of the talk.")
    elif held_on > today:
        errors["held_on"] = _("The date of the talk (%(date)s) is in the future.") % {"date": held_on}
    if kind not in TalkKind.values:
        errors["kind"] = _("Choose the kind of talk.")
    member_ids = {getattr(m, "pk", m) for m in members}
    if not member_ids:
        errors["members"] = _("Choose at least one member talked with.")
    else:
        allowed = restrict(Member.objects.filter(committee=committee, pk__in=member_ids), actor, EDIT)
        allowed_ids = set(allowed.values_list("pk", flat=True))
        if allowed_ids != member_ids:
            errors["members"] = _("%(n)s of the members chosen are not in your scope.") % {
                "n": len(member_ids - allowed_ids)}
    talker_ids = {getattr(u, "pk", u) for u in talkers} - {actor.pk}
    if talker_ids:
        staff = set(capability_holders("talks.manage", committee).filter(pk__in=talker_ids)
                    .values_list("pk", flat=True))
        if staff != talker_ids:
            errors["talkers"] = _("Only the committee's secretaries can be named as talkers.")
    if follow_up_on is not None and held_on is not None and follow_up_on < held_on:
        errors["follow_up_on"] = _("The follow-up date is before the talk.")
    for field, text in (("topics", topics), ("content", content), ("agreed", agreed)):
        if len(text or "") > MAX_TEXT:
            errors[field] = _("At most %(n)s characters.") % {"n": MAX_TEXT}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        talk = Talk.objects.create(
            committee=committee, held_on=held_on, kind=kind, place=(place or "").strip()[:100],
            topics_encrypted=crypto.encrypt((topics or "").strip()),
            content_encrypted=crypto.encrypt((content or "").strip()),
            agreed_encrypted=crypto.encrypt((agreed or "").strip()),
            follow_up_on=follow_up_on, recorded_by=actor)
        talk.talkers.set([actor.pk, *talker_ids])
        talk.members.set(member_ids)
        audit_log(actor=actor, action="talk.create", obj=talk, ip_address=ip_address, new={
            "held_on": held_on, "kind": kind, "place": talk.place, "members": sorted(member_ids),
            "talkers": sorted({actor.pk, *talker_ids}), "follow_up_on": follow_up_on})
    return talk


def talk_read_content(*, actor, talk, ip_address=None) -> dict:
    """The decrypted content of a talk for a reader ``may_read_content`` allows; every read is audited
    (``talk.read``). Anyone else: PermissionDenied (and the refusal is audited too)."""
    if not talks_selectors.may_read_content(actor, talk):
        audit_log(actor=actor, action="talk.read", obj=talk, success=False, ip_address=ip_address,
                  message="not allowed")
        raise PermissionDenied(_("Only the talkers, the committee secretary and the readers the committee "
                                 "names may read what was said in a talk."))
    audit_log(actor=actor, action="talk.read", obj=talk, ip_address=ip_address)
    return {"topics": talk.topics, "content": talk.content, "agreed": talk.agreed}


def talk_follow_up_done(*, actor, talk, day=None) -> Talk:
    """Mark the talk's follow-up done (a talker or a content reader)."""
    if not talks_selectors.may_read_content(actor, talk):
        raise PermissionDenied(_("Only the talkers and the committee secretary follow a talk up."))
    if talk.follow_up_done_on is not None:
        return talk
    day = day or timezone.localdate()
    with transaction.atomic():
        Talk.objects.filter(pk=talk.pk).update(follow_up_done_on=day)
        talk.follow_up_done_on = day
        audit_log(actor=actor, action="talk.follow_up_done", obj=talk, new={"follow_up_done_on": day})
    return talk


def _committee_admin(actor, committee):
    if not has_capability(actor, "talks.read_all", committee.pk):
        raise PermissionDenied(_("Only the committee secretary names the readers of talks."))


def talk_reader_add(*, actor, committee, user) -> TalkReader:
    """Name ``user`` a reader of the committee's talk content (the committee admin)."""
    _committee_admin(actor, committee)
    if user is None or not user.is_active:
        raise ValidationError({"username": _("No active account with this login name.")})
    with transaction.atomic():
        reader, created = TalkReader.objects.get_or_create(committee=committee, user=user,
                                                           defaults={"added_by": actor})
        if created:
            audit_log(actor=actor, action="talk.reader_add", obj=reader, object_repr=user.get_username(),
                      new={"user": user.pk, "committee": committee.pk})
    return reader


def talk_reader_remove(*, actor, reader) -> None:
    _committee_admin(actor, reader.committee)
    with transaction.atomic():
        audit_log(actor=actor, action="talk.reader_remove", obj=reader, object_repr=reader.user.get_username(),
                  old={"user": reader.user_id, "committee": reader.committee_id})
        reader.delete()


def talk_settings_set(*, actor, committee, target_per_year: int) -> TalkSettings:
    """Set the committee's target: talks per member and year (1 to 12)."""
    _committee_admin(actor, committee)
    if not isinstance(target_per_year, int) or not 1 <= target_per_year <= 12:
        raise ValidationError({"target_per_year": _("The target is a number from 1 to 12.")})
    with transaction.atomic():
        settings_row, _created = TalkSettings.objects.select_for_update().get_or_create(committee=committee)
        old = settings_row.target_per_year if not _created else None
        settings_row.target_per_year = target_per_year
        settings_row.save()
        audit_log(actor=actor, action="talk.settings", obj=committee, old={"target_per_year": old},
                  new={"target_per_year": target_per_year})
    return settings_row
