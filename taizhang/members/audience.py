"""Audiences (参加范围 / 面向范围): who something is for — the whole committee, one branch, one party group
or picked members — in one place: the fields (``Audience``, an abstract model), the check of a choice,
who is in it on a day (a queryset, a Q for scoping, the keys the 应到 reading matches roster spells
with, the SQL of the spells) and the label. The activity (``activities.Activity``) and the study item
(``activities.StudyItem``) both use it.

Why in members: an audience is a set of members, read from what members and organisation own (the
members, their branch on a day from the roster spells, party groups); nothing in it is about
activities. So it sits where every domain app may import it (core may not: it imports no domain app).

Who is in an audience on day D: the members of the owner's committee on the roster on D
(``ROSTER_STATUSES``), and
* committee: all of them;
* branch: those who belonged to that branch on D (from the flow history, ``RosterSpell``);
* party group: the group's members in the group's branch on D (party groups have no history, so the
  member's current group);
* picked: the picked members (only a model with a ``picked_members`` many-to-many offers this kind).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from taizhang.core.permissions import EDIT, VIEW, restrict
from taizhang.members.models import ROSTER_STATUSES, Member


class AudienceKind(models.TextChoices):
    COMMITTEE = "committee", _("The whole committee")
    BRANCH = "branch", _("One branch")
    PARTY_GROUP = "party_group", _("One party group")
    PICKED = "picked", _("Picked members")


def consistent_q(*, picked: bool) -> Q:
    """The check constraint of the audience fields: a branch only for a branch audience, a party group
    only for a party-group audience (``picked``: the model offers picked members too)."""
    rest = (
        Q(audience_kind__in=["committee", "picked"], audience_branch__isnull=True, audience_group__isnull=True)
        if picked
        else Q(audience_kind="committee", audience_branch__isnull=True, audience_group__isnull=True)
    )
    return (
        Q(audience_kind="branch", audience_branch__isnull=False, audience_group__isnull=True)
        | Q(audience_kind="party_group", audience_branch__isnull=True, audience_group__isnull=False)
        | rest
    )


class Audience(models.Model):
    """Who a record of a committee is for: the whole committee, one branch or one party group (and picked
    members on models that add a ``picked_members`` many-to-many and list ``PICKED`` in
    ``AUDIENCE_KINDS``). The concrete model has a ``committee`` and its own check constraint
    (``consistent_q``)."""

    AUDIENCE_KINDS = (AudienceKind.COMMITTEE, AudienceKind.BRANCH, AudienceKind.PARTY_GROUP)

    audience_kind = models.CharField(
        _("audience"), max_length=20, choices=AudienceKind.choices, default=AudienceKind.COMMITTEE
    )
    audience_branch = models.ForeignKey(
        "organisation.Branch",
        verbose_name=_("audience branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    audience_group = models.ForeignKey(
        "organisation.PartyGroup",
        verbose_name=_("audience party group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    def clean(self):
        """The fields agree with each other and with the committee (the planner's rights are the
        services' to check, with ``clean_audience``)."""
        super().clean()
        errors = field_errors(
            self.committee_id, self.audience_kind, self.audience_branch, self.audience_group, kinds=self.AUDIENCE_KINDS
        )
        if errors:
            raise ValidationError(errors)

    @property
    def audience_label(self) -> str:
        return audience_label(self)


# --- checking a choice ------------------------------------------------------------------------------------


def field_errors(committee_id, kind, branch, group, *, kinds, organiser_branch=None) -> dict:
    """{field: [message]} for an audience choice that does not hold together: a kind not in ``kinds`` (the
    model's ``AUDIENCE_KINDS``), a missing or foreign branch or party group, and with ``organiser_branch`` (a branch organises
    it) an audience outside that branch. Picked members are ``clean_audience``'s."""
    errors: dict[str, list[str]] = {}
    if kind not in kinds:
        errors["audience_kind"] = [gettext("Choose who it is for.")]
    elif kind == AudienceKind.COMMITTEE and organiser_branch is not None:
        errors["audience_kind"] = [gettext("Only the committee can hold an activity for the whole committee; "
                                           "choose your branch, a party group or picked members.")]
    elif kind == AudienceKind.BRANCH:
        if branch is None:
            errors["audience_branch"] = [gettext("Choose the branch it is for.")]
        elif branch.committee_id != committee_id:
            errors["audience_branch"] = [gettext("The branch belongs to another committee.")]
        elif organiser_branch is not None and branch.pk != organiser_branch.pk:
            errors["audience_branch"] = [gettext("A branch holds activities for its own members only.")]
    elif kind == AudienceKind.PARTY_GROUP:
        if group is None:
            errors["audience_group"] = [gettext("Choose the party group it is for.")]
        elif group.branch.committee_id != committee_id:
            errors["audience_group"] = [gettext("The party group belongs to another committee.")]
        elif organiser_branch is not None and group.branch_id != organiser_branch.pk:
            errors["audience_group"] = [gettext("The party group belongs to another branch.")]
    return errors


def clean_audience(*, actor, committee, kind, kinds, branch=None, group=None, picked=(),
                   organiser_branch=None) -> tuple:
    """Check a planner's audience choice among ``kinds`` (the model's ``AUDIENCE_KINDS``) and return (branch, group, picked members), the ones the kind
    does not use set to None / []. Raises ``ValidationError`` naming each field.

    A branch organiser (``organiser_branch``; who may organise for which branch is the services' check
    through ``core.permissions``) may only choose their branch, its party groups or its members; picked
    members must be in the actor's EDIT scope (``restrict``) and of the committee.
    """
    from taizhang.organisation.models import PartyGroup

    picked = list(picked or [])
    if kind != AudienceKind.BRANCH:
        branch = None
    if kind != AudienceKind.PARTY_GROUP:
        group = None
    if kind != AudienceKind.PICKED:
        picked = []
    if group is not None:
        group = PartyGroup.objects.select_related("branch").get(pk=group.pk)
    errors = field_errors(committee.pk, kind, branch, group, kinds=kinds, organiser_branch=organiser_branch)
    if kind == AudienceKind.PICKED and kind in kinds:
        ids = {m.pk for m in picked}
        if not ids:
            errors["picked_members"] = [gettext("Pick at least one member.")]
        else:
            allowed = restrict(Member.objects.filter(pk__in=ids, committee=committee), actor, EDIT)
            if organiser_branch is not None:
                allowed = allowed.filter(branch=organiser_branch)
            allowed_ids = set(allowed.values_list("pk", flat=True))
            outside = [m.name for m in picked if m.pk not in allowed_ids]
            if outside:
                errors["picked_members"] = [
                    gettext("These members are not in the organising branch or not yours to invite: %(names)s.")
                    % {"names": "、".join(outside)}
                ]
    if errors:
        raise ValidationError(errors)
    return branch, group, picked


# --- who is in it -----------------------------------------------------------------------------------------


def picks(model):
    """(through model, its field to ``model``, its field to the member) of a model's picked members."""
    field = model._meta.get_field("picked_members")
    return field.remote_field.through, field.m2m_field_name(), field.m2m_reverse_field_name()


def _picked_ids(obj):
    through, source, target = picks(type(obj))
    return through.objects.filter(**{source: obj}).values(f"{target}_id")


def filter_members(obj, qs):
    """Limit a roster queryset annotated with ``branch_on`` (``members.selectors.annotate_status``) to
    ``obj``'s audience."""
    return qs.filter(committee_id=obj.committee_id).filter(_kind_q(obj, branch="branch_on", group="party_group_id",
                                                                  member="pk"))


def _kind_q(obj, *, branch: str, group: str, member: str) -> Q:
    """What ``obj``'s kind of audience asks of a row whose branch on the day, party group and member are the
    fields ``branch``, ``group`` and ``member`` (a member row or a roster spell): the one reading of the kinds."""
    kind = obj.audience_kind
    if kind == AudienceKind.BRANCH:
        return Q(**{branch: obj.audience_branch_id})
    if kind == AudienceKind.PARTY_GROUP:
        group_ = obj.audience_group
        return Q(**{group: group_.pk, branch: group_.branch_id})
    if kind == AudienceKind.PICKED:
        return Q(**{f"{member}__in": _picked_ids(obj)})
    return Q()


def roster_on(committee_ids, day: datetime.date | None = None):
    """The members of ``committee_ids`` on the roster on ``day`` (None: today), with ``status`` and
    ``branch_on`` (the branch on that day)."""
    from taizhang.members.selectors import annotate_status

    return annotate_status(Member.objects.filter(committee_id__in=committee_ids), day).filter(
        status__in=ROSTER_STATUSES)


def members_on(obj, day: datetime.date | None = None, *, user=None):
    """The members in ``obj``'s audience on ``day`` (None: today), with ``status`` and ``branch_on``; with
    ``user`` only the members that user may see. One query (a party-group audience reads its group
    unless it was fetched with the record)."""
    qs = filter_members(obj, roster_on([obj.committee_id], day))
    if user is not None:
        qs = restrict(qs, user, VIEW)
    return qs


def spells_on(obj, day: datetime.date | None = None, *, user=None):
    """The roster spells (``RosterSpell``) of ``obj``'s audience on ``day`` (None: today), one per member: the
    same members as ``members_on`` (a spell carries its member's committee, so the committee is read from
    the spell), as a spells queryset, so that counts and "was this member in it" lookups read the spells
    (by their committee index, or their (member, from) index for one member) instead of every member row.
    A day after today is read as today (``annotate_status`` does the same). With ``user`` only the members
    that user may see (the scope of ``restrict`` on the spells' members)."""
    from taizhang.members.models import RosterSpell

    today = timezone.localdate()
    day = today if day is None or day > today else day
    spells = RosterSpell.objects.filter(committee_id=obj.committee_id, status__in=ROSTER_STATUSES,
                                        valid_from__lte=day, valid_to__gt=day)
    spells = spells.filter(_kind_q(obj, branch="branch_id", group="member__party_group_id", member="member_id"))
    if user is not None:
        spells = restrict(spells, user, VIEW, committee="committee", branch="member__branch", member="member")
    return spells


def for_member_q(model, member) -> Q:
    """Records of ``model`` whose audience includes ``member`` as the member is today (their branch and
    party group now); the caller adds the committee."""
    q = (
        Q(audience_kind=AudienceKind.COMMITTEE)
        | Q(audience_kind=AudienceKind.BRANCH, audience_branch_id=member.branch_id)
        | Q(audience_kind=AudienceKind.PARTY_GROUP, audience_group_id=member.party_group_id)
    )
    if AudienceKind.PICKED in model.AUDIENCE_KINDS:
        through, source, target = picks(model)
        q |= Q(pk__in=through.objects.filter(**{target: member}).values(f"{source}_id"))
    return q


def for_branches_q(model, branch_ids) -> Q:
    """Records of ``model`` whose audience is one of ``branch_ids``, a party group of one of them or
    (picked) includes a member who is now in one of them. The picks are asked per record (EXISTS over the
    record's own picks, only for records of the picked kind), so fetching one record reads its picks alone,
    not every pick of the database joined with the branches' members."""
    q = Q(audience_branch_id__in=branch_ids) | Q(audience_group__branch_id__in=branch_ids)
    if AudienceKind.PICKED in model.AUDIENCE_KINDS:
        through, source, target = picks(model)
        picked = through.objects.filter(**{source: OuterRef("pk"), f"{target}__branch_id__in": branch_ids})
        q |= Q(audience_kind=AudienceKind.PICKED) & Q(Exists(picked))
    return q


# The audience as a key, and the keys a member's roster spell (committee, branch, party group, member)
# falls in: the spell is in the audience when the audience's key is one of the spell's keys. The 应到
# reading of many records at once (``activities.selectors``) and the read counts of study items match
# members with audiences this way instead of one query per record.


def audience_key(obj, group_branch_id=None) -> tuple | None:
    """``obj``'s key (``group_branch_id``: the branch of its party group); None for picked members, whose
    keys are ``picked_key`` of each pick."""
    return key_for(obj.audience_kind, obj.committee_id, obj.audience_branch_id, obj.audience_group_id,
                   group_branch_id)


def key_for(kind, committee_id, branch_id=None, group_id=None, group_branch_id=None) -> tuple | None:
    """The key of an audience of ``kind`` not (yet) saved as a record; see ``audience_key``."""
    if kind == AudienceKind.COMMITTEE:
        return ("c", committee_id)
    if kind == AudienceKind.BRANCH:
        return ("b", committee_id, branch_id)
    if kind == AudienceKind.PARTY_GROUP:
        return ("g", committee_id, group_id, group_branch_id)
    return None


def key_includes(key, *, status, committee_id, branch_id, group_id, member_id) -> bool:
    """Whether a member with ``status`` and ``branch_id`` on a day (and party group ``group_id``) is in the
    audience with ``key``: the in-memory twin of ``filter_members`` over ``roster_on``."""
    return status in ROSTER_STATUSES and key in member_keys(committee_id, branch_id, group_id, member_id)


def picked_key(committee_id, member_id) -> tuple:
    return ("p", committee_id, member_id)


def member_keys(committee_id, branch_id, group_id, member_id) -> tuple:
    """The keys of the audiences a member of ``committee_id`` in ``branch_id`` (on the day) and
    ``group_id`` belongs to."""
    return (("c", committee_id), ("b", committee_id, branch_id), ("g", committee_id, group_id, branch_id),
            picked_key(committee_id, member_id))


def roster_spells_sql(members, since: datetime.date, until: datetime.date, committee_ids, *,
                      group: bool = False) -> tuple[str, tuple]:
    """SQL for the roster spells (on the roster) that overlap [since, until] of the members of
    ``committee_ids`` (limited to ``members``, a Member queryset, unless None): columns mid, st, br, d0,
    d1, cid (and gid, the member's current party group, with ``group``). A spell's state holds from d0
    until the day before d1. Served by the index on (committee, valid_from, valid_to). Raises
    ``EmptyResultSet`` when ``members`` can hold nobody."""
    from taizhang.members.models import RosterSpell

    spells = RosterSpell.objects.filter(
        committee_id__in=sorted(committee_ids), status__in=ROSTER_STATUSES, valid_from__lte=until, valid_to__gt=since,
    )
    if members is not None:
        spells = spells.filter(member_id__in=members.order_by().values("pk"))
    columns = {"mid": F("member_id"), "st": F("status"), "br": F("branch_id"), "d0": F("valid_from"),
               "d1": F("valid_to"), "cid": F("committee_id")}
    if group:
        columns["gid"] = F("member__party_group_id")
    sql, params = spells.order_by().values(**columns).query.sql_with_params()
    return sql, tuple(params)


# --- the label --------------------------------------------------------------------------------------------


def audience_label(obj) -> str:
    """What pages show as the audience: the branch or party group's name, "N picked members" (from an
    ``n_picked`` annotation when the list has one, else a count) or the whole committee."""
    kind = obj.audience_kind
    if kind == AudienceKind.BRANCH:
        return obj.audience_branch.name
    if kind == AudienceKind.PARTY_GROUP:
        return obj.audience_group.name
    if kind == AudienceKind.PICKED:
        n = getattr(obj, "n_picked", None)
        if n is None:
            n = obj.picked_members.count()
        return gettext("%(n)d picked members") % {"n": n}
    return gettext("The whole committee")
