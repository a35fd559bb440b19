"""Writes to the organisation tree (committee → branches → districts, party groups).

Each service owns its transaction and writes its audit entry (ARCHITECTURE.md style rules 1 and 3).
``actor`` is the user doing it, or ``None`` for the operator running a management command.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core import generations
from taizhang.core.audit import audit_log
from taizhang.core.permissions import has_capability
from taizhang.organisation import hooks
from taizhang.organisation.models import DEFAULT_BRANCHES, Branch, Committee, District, PartyGroup, Superior


def _check_manage(actor, committee: Committee) -> None:
    """The actor must be able to manage this committee's organisation; ``None`` is the operator (commands)."""
    if actor is None:
        return
    if not has_capability(actor, "organisation.manage", committee):
        raise PermissionDenied(_("Your role cannot change the organisation of this committee."))


@transaction.atomic
def committee_create(*, actor, name: str, founded_on: datetime.date) -> Committee:
    """Create a committee with the default three branches and the 16 Beijing districts mapped to them."""
    if actor is not None and not has_capability(actor, "committee.create"):
        raise PermissionDenied(_("Only a system administrator can create a committee."))
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Enter the committee's name.")]
    elif Committee.objects.filter(name=name).exists():
        errors["name"] = [_("A committee with this name already exists.")]
    if founded_on is None:
        errors["founded_on"] = [_("Enter the date the committee was founded.")]
    elif founded_on > timezone.localdate():
        errors["founded_on"] = [_("The founding date cannot be in the future.")]
    if errors:
        raise ValidationError(errors)

    try:
        with transaction.atomic():
            committee = Committee.objects.create(name=name, founded_on=founded_on)
    except IntegrityError as exc:  # a concurrent create of the same name
        raise ValidationError({"name": [_("A committee with this name already exists.")]}) from exc

    district_order = 0
    mapping = {}
    for branch_order, (code, branch_name, district_names) in enumerate(DEFAULT_BRANCHES, start=1):
        branch = Branch.objects.create(committee=committee, code=code, name=branch_name, sort_order=branch_order)
        audit_log(actor=actor, action="branch.create", obj=branch,
                  new={"committee": committee.pk, "code": code, "name": branch_name, "sort_order": branch_order})
        for district_name in district_names:
            district_order += 1
            district = District.objects.create(
                committee=committee, name=district_name, branch=branch, sort_order=district_order
            )
            audit_log(actor=actor, action="district.create", obj=district,
                      new={"committee": committee.pk, "name": district_name, "branch": branch.pk,
                           "sort_order": district_order})
            mapping[district_name] = code
    audit_log(actor=actor, action="committee.create", obj=committee,
              new={"name": name, "founded_on": founded_on, "districts": mapping})
    hooks.committee_created.send(committee=committee, actor=actor)  # later apps' set-up steps
    generations.renew_all([committee.pk])  # no data yet: every kind of answer may be cached from the start
    return committee


@transaction.atomic
def district_set_branch(*, actor, district: District, branch: Branch) -> District:
    """Map ``district`` to ``branch`` (the branch suggested for members living there)."""
    district = District.objects.select_for_update().select_related("committee").get(pk=district.pk)
    _check_manage(actor, district.committee)
    if branch.committee_id != district.committee_id:
        raise ValidationError(
            {"branch": [_("The branch %(branch)s belongs to another committee; choose one of %(committee)s's branches.")
                        % {"branch": branch.name, "committee": district.committee.name}]}
        )
    if branch.pk == district.branch_id:
        return district
    old_branch_id = district.branch_id
    District.objects.filter(pk=district.pk).update(branch=branch)
    district.branch = branch
    audit_log(actor=actor, action="district.set_branch", obj=district,
              old={"branch": old_branch_id}, new={"branch": branch.pk})
    return district


@transaction.atomic
def committee_set_superior(*, actor, committee: Committee, name: str) -> Committee:
    """Put ``committee`` under the superior organisation called ``name`` (created if new); an empty name
    takes it out. The superior's people see the committee's totals only where the committee's security
    admin also gives them the role ``superior_viewer``."""
    committee = Committee.objects.select_for_update(of=("self",)).select_related("superior").get(pk=committee.pk)
    _check_manage(actor, committee)
    name = " ".join((name or "").split())
    if len(name) > Superior._meta.get_field("name").max_length:
        raise ValidationError({"superior": [_("The name of the superior organisation is at most %(n)s characters.")
                                            % {"n": Superior._meta.get_field("name").max_length}]})
    old = committee.superior.name if committee.superior_id else ""
    if name == old:
        return committee
    superior = Superior.objects.get_or_create(name=name)[0] if name else None
    Committee.objects.filter(pk=committee.pk).update(superior=superior)
    committee.superior = superior
    audit_log(actor=actor, action="committee.set_superior", obj=committee, old={"superior": old or None},
              new={"superior": name or None})
    return committee


@transaction.atomic
def party_group_create(*, actor, branch: Branch, name: str) -> PartyGroup:
    """Add a party group (党小组) to ``branch``."""
    _check_manage(actor, branch.committee)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter the party group's name.")]})
    if len(name) > PartyGroup._meta.get_field("name").max_length:
        raise ValidationError({"name": [_("The name is too long (at most %(n)d characters).")
                                        % {"n": PartyGroup._meta.get_field("name").max_length}]})
    if PartyGroup.objects.filter(branch=branch, name=name).exists():
        raise ValidationError({"name": [_("This branch already has a party group with this name.")]})
    try:
        with transaction.atomic():
            group = PartyGroup.objects.create(branch=branch, name=name)
    except IntegrityError as exc:
        raise ValidationError({"name": [_("This branch already has a party group with this name.")]}) from exc
    audit_log(actor=actor, action="party_group.create", obj=group, new={"branch": branch.pk, "name": name})
    return group
