"""What the importer may do (scope through ``core.permissions``) and the organisation's names: branches
and districts as people write them, the members the rows match."""

import datetime
from collections import defaultdict

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.permissions import EDIT, can_in_branch, committee_ids_for, has_scope, restrict
from taizhang.core.spreadsheets import CellError
from taizhang.members.imports.columns import ImportFileError
from taizhang.members.ledger_columns import normalise_header
from taizhang.members.models import BehaviourNote, Member
from taizhang.organisation.models import Branch, Committee, District


def _core_branch_name(text: str) -> str:
    text = normalise_header(text)
    for part in ("党支部", "片区", "支部", "党"):
        text = text.replace(part, "")
    return text


def _core_district_name(text: str) -> str:
    text = normalise_header(text)
    return text[:-1] if len(text) > 1 and text[-1] in "区县" else text


class Context:
    """The importer (None: the operator, whole database) and the names of branches and districts."""

    def __init__(self, user=None, today: datetime.date | None = None):
        self.user = user
        self.today = today or timezone.localdate()
        if user is None:
            committee_ids = set(Committee.objects.values_list("pk", flat=True))
        else:
            if not has_scope(user, EDIT):
                raise ImportFileError(_("Your role cannot add or change members, so it cannot import them."))
            committee_ids = committee_ids_for(user, EDIT)
        self.branches = list(Branch.objects.filter(committee_id__in=committee_ids).select_related("committee"))
        self.districts = list(
            District.objects.filter(committee_id__in=committee_ids).select_related("branch", "branch__committee")
        )
        self.branch_exact = defaultdict(list)
        self.branch_core = defaultdict(list)
        for branch in self.branches:
            self.branch_exact[normalise_header(branch.name)].append(branch)
            self.branch_core[_core_branch_name(branch.name)].append(branch)
        self.district_names = defaultdict(list)
        for district in self.districts:
            self.district_names[_core_district_name(district.name)].append(district)
        self._editable = {}
        self.tags = {}  # (committee_id, name) -> Tag, filled when committing

    def can_edit(self, branch) -> bool:
        if self.user is None:
            return True
        if branch.pk not in self._editable:
            self._editable[branch.pk] = can_in_branch(self.user, branch, EDIT)
        return self._editable[branch.pk]

    def editable_branch_names(self) -> list:
        return [b.name for b in self.branches if self.can_edit(b)]

    def find_branch(self, text: str):
        found = self.branch_exact.get(normalise_header(text)) or self.branch_core.get(_core_branch_name(text)) or []
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CellError(_("More than one branch has this name; write the branch's full name."))
        names = "、".join(self.editable_branch_names() or [b.name for b in self.branches])
        raise CellError(_("There is no branch of this name. The branches are: %(names)s.") % {"names": names})

    def find_district(self, text: str, branch=None):
        found = self.district_names.get(_core_district_name(text), [])
        if branch is not None:
            found = [d for d in found if d.committee_id == branch.committee_id]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CellError(_("More than one committee has a district of this name; give the branch as well."))
        raise CellError(_("This is not one of the Beijing districts known to the committee."))

    def find_members(self, hashes):
        """hash -> [members], with what planning needs, in a constant number of queries."""
        if not hashes:
            return {}, set()
        latest_note = BehaviourNote.objects.filter(member=OuterRef("pk")).order_by("-noted_on", "-id").values("text")[:1]
        members = (
            Member.objects.filter(id_number_hash__in=hashes)
            .select_related("branch", "branch__committee", "district", "current_event")
            .prefetch_related("tags")
            .annotate(latest_note=Subquery(latest_note))
        )
        by_hash = defaultdict(list)
        for member in members:
            by_hash[member.id_number_hash].append(member)
        ids = [m.pk for ms in by_hash.values() for m in ms]
        if self.user is None:
            editable = set(ids)
        else:
            editable = set(restrict(Member.objects.filter(pk__in=ids), self.user, EDIT).values_list("pk", flat=True))
        return by_hash, editable


