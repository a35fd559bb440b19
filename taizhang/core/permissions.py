"""The one place that decides what a user may see and change.

Every list, page, export, import, command and API call that touches people goes through
``restrict()`` (querysets) or ``has_capability()`` (actions that are not about one person's record).
Never write ad-hoc role checks in views.

Purposes for people's records:
* ``view``   — see the record (personal numbers masked);
* ``edit``   — change the record and record flow events;
* ``reveal`` — see the full citizen ID number and phone (each reveal is audit-logged);
* ``details`` — see the whole record: personal numbers (masked), contact, home address and district,
  household, work situation, behaviour tags and notes, the flow history's reasons. Without it a viewer
  (the 学习委员) sees only what their work needs: names, branches and study/points facts (PIPL
  "minimum necessary"). Which fields and columns belong to which purpose is decided in one place,
  ``taizhang/members/visibility.py``, which every member page, list, filter and export reads.
"""

from dataclasses import dataclass, field

from django.db.models import Q

VIEW = "view"
EDIT = "edit"
REVEAL = "reveal"
DETAILS = "details"

# role -> purposes it grants over the people in its scope
_ROLE_PURPOSES = {
    "committee_admin": {VIEW, DETAILS, EDIT, REVEAL},
    "branch_secretary": {VIEW, DETAILS, EDIT, REVEAL},
    "study_member": {VIEW},  # names, branches and study/points facts only
    "treasurer": {VIEW},  # names and branches, to name the giver of a gift
}
# role -> purposes over the user's own member record
_SELF_PURPOSES = {"member": {VIEW, DETAILS, REVEAL}}

# Capabilities that are not about a person's record.
_CAPABILITIES = {
    "audit.view": {"audit_admin"},
    # 三员分立: the system admin manages accounts (create, deactivate, unlock, reset passwords), the
    # security admin gives and removes roles and sets the security policy, the audit admin reads the log.
    "users.manage": {"system_admin"},
    "roles.manage": {"security_admin"},
    "organisation.manage": {"system_admin", "committee_admin"},
    "committee.create": {"system_admin"},
    "security.manage": {"security_admin"},
    # see the security alerts (e.g. a burst of full-number reveals) of their committee
    "security.alerts": {"security_admin", "audit_admin"},
    "ledger.use": {"committee_admin", "branch_secretary", "study_member"},
    "member.create": {"committee_admin", "branch_secretary"},
    # decide on members' requests to correct their own record (of members the user may edit; never their own)
    "member.corrections": {"committee_admin", "branch_secretary"},
    # download or print the ledger (personal data in bulk): not the study role
    "ledger.export": {"committee_admin", "branch_secretary"},
    # organisational life: plan activities, take attendance, see participation and reports
    "activities.manage": {"committee_admin", "branch_secretary"},
    # publish study items (学习委员) and see who has not read them
    "study.publish": {"committee_admin", "study_member"},
    # see who has read a study item and who has not (branch secretaries: their branch's members)
    "study.readers": {"committee_admin", "study_member", "branch_secretary"},
    # edit the points rules, the threshold/ranking settings and import external platform scores
    "points.manage": {"committee_admin"},
    # approve members' study records (of members the user may edit; never their own)
    "points.approve": {"committee_admin", "branch_secretary"},
    # the superior organisation's overview: the totals of each committee that gave the user this role
    # (counts only; no member, name or number of anyone)
    "superior.overview": {"superior_viewer"},
    # money: record donation campaigns, gifts and hand-overs (财务, or the committee admin)
    "finance.manage": {"committee_admin", "treasurer"},
    # see donation campaigns and the gifts of the members in one's scope (branch secretaries: their branch)
    "finance.view": {"committee_admin", "treasurer", "branch_secretary"},
    # care of elderly members: the 60+ list and care notes, visit plans and visits, hand-outs from the store
    # (of the members the user may edit)
    "care.manage": {"committee_admin", "branch_secretary"},
    # the committee's newspaper list for a year: preview, confirm, cancel
    "care.subscriptions": {"committee_admin"},
    # the store itself: items, stock in, corrections
    "care.store": {"committee_admin"},
    # 党员之家 (places): rooms and bookings (confirm, cancel), the reading corner's books and loans, interest
    # groups and contests of the committee or one's branch; members use the pages for themselves
    "places.manage": {"committee_admin", "branch_secretary"},
    # heart-to-heart talks (谈心谈话): record talks and see that talks took place in one's scope; the content
    # is shown only by the talks module's own rule (the talker, the committee secretary, those named)
    "talks.manage": {"committee_admin", "branch_secretary"},
    # (talks area) read the content of every talk of the committee: the committee secretary; the talkers and
    # the committee's named readers are added by talks_selectors.may_read_content
    "talks.read_all": {"committee_admin"},
    # the statistics reports (统计报表: composition, increase and decrease, tallies, the yearly summary) of
    # the people in one's scope: a branch secretary's cover the branch
    "reports.view": {"committee_admin", "branch_secretary"},
    # 党员之家 rooms as data (name, hours, who may book): the committee admin only (issue 13, rooms area)
    "places.rooms": {"committee_admin"},
}


@dataclass
class Scope:
    committee_ids: set = field(default_factory=set)
    branch_ids: set = field(default_factory=set)
    self_member: bool = False

    @property
    def empty(self) -> bool:
        return not (self.committee_ids or self.branch_ids or self.self_member)


def _assignments(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_taizhang_roles", None)
    if cached is None:
        cached = list(user.role_assignments.all().values("role", "committee_id", "branch_id"))
        user._taizhang_roles = cached
    return cached


def roles_of(user) -> set:
    return {a["role"] for a in _assignments(user)}


def user_scope(user, purpose: str = VIEW) -> Scope:
    scope = Scope()
    for a in _assignments(user):
        if purpose in _ROLE_PURPOSES.get(a["role"], ()):
            if a["branch_id"]:
                scope.branch_ids.add(a["branch_id"])
            else:
                scope.committee_ids.add(a["committee_id"])
        if purpose in _SELF_PURPOSES.get(a["role"], ()):
            scope.self_member = True
    return scope


def scope_q(user, purpose: str = VIEW, *, committee="committee", branch="branch", member="") -> Q:
    """A Q for records whose committee/branch/member fields (given as paths) are in the user's scope.

    ``member`` is the path from the model to the Member (``""`` when the model *is* Member).
    """
    scope = user_scope(user, purpose)
    q = Q(pk__in=[])
    if scope.committee_ids:
        q |= Q(**{f"{committee}__in": scope.committee_ids})
    if scope.branch_ids:
        q |= Q(**{f"{branch}__in": scope.branch_ids})
    if scope.self_member:
        q |= Q(**{(f"{member}__user" if member else "user"): user})
    return q


def restrict(queryset, user, purpose: str = VIEW, **paths):
    """Filter a queryset down to what ``user`` may see (or change) for ``purpose``."""
    return queryset.filter(scope_q(user, purpose, **paths))


def allows(user, purpose: str, *, committee_id, branch_id, member_user_id=None) -> bool:
    """Would ``restrict`` keep a record with these committee/branch/owner ids? (No query: for one
    record already fetched, e.g. which buttons a detail page shows.)"""
    scope = user_scope(user, purpose)
    return (
        committee_id in scope.committee_ids
        or branch_id in scope.branch_ids
        or (scope.self_member and member_user_id is not None and member_user_id == getattr(user, "pk", None))
    )


def can_in_branch(user, branch, purpose: str = EDIT) -> bool:
    """May the user act (``purpose``) on people of ``branch``? Used when choosing a target branch."""
    scope = user_scope(user, purpose)
    return branch.committee_id in scope.committee_ids or branch.pk in scope.branch_ids


def has_capability(user, capability: str, committee=None) -> bool:
    """Does the user hold a role granting ``capability`` (in ``committee``, when one is given)?"""
    roles = _CAPABILITIES.get(capability, set())
    committee_id = getattr(committee, "pk", committee)
    return any(
        a["role"] in roles and (committee_id is None or a["committee_id"] == committee_id) for a in _assignments(user)
    )


def capability_committee_ids(user, capability: str) -> set:
    """The committees in which the user holds a role granting ``capability``."""
    roles = _CAPABILITIES.get(capability, set())
    return {a["committee_id"] for a in _assignments(user) if a["role"] in roles}


def forget_roles(user) -> None:
    """Drop the roles cached on this user object (call after changing its role assignments)."""
    user.__dict__.pop("_taizhang_roles", None)
    user.__dict__.pop("_taizhang_own_member", None)


# --- the scope questions other modules ask (issue 9: answered here, never worked out again elsewhere) -----
#
# Domain models are looked up lazily by name: core imports no domain app.


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


def committee_ids_for(user, purpose: str = VIEW, *, include_self: bool = False) -> set:
    """The ids of the committees in which the user holds a role granting ``purpose`` over people — a
    committee-wide role or a branch role (a branch secretary works in their branch's committee).
    ``include_self`` adds the committee of the user's own member record (the 党员 role)."""
    ids = set()
    for a in _assignments(user):
        if purpose in _ROLE_PURPOSES.get(a["role"], ()):
            ids.add(a["committee_id"])
        elif include_self and purpose in _SELF_PURPOSES.get(a["role"], ()):
            ids.add(a["committee_id"])
    return ids


def role_committee_ids(user) -> set:
    """The committees in which the user holds any role at all (admin posts included)."""
    return {a["committee_id"] for a in _assignments(user)}


def committees_for(user, purpose: str = VIEW, *, include_self: bool = False):
    """The committees (a queryset, by id) the user's scope for ``purpose`` reaches; see ``committee_ids_for``."""
    return _model("organisation.Committee").objects.filter(
        pk__in=committee_ids_for(user, purpose, include_self=include_self)).order_by("id")


def branches_for(user, purpose: str = VIEW):
    """The branches whose people the user may see (or change) for ``purpose``: every branch of a committee
    where the user holds a committee-wide role, and the branches of their branch roles (a queryset)."""
    scope = user_scope(user, purpose)
    return _model("organisation.Branch").objects.filter(
        Q(committee_id__in=scope.committee_ids) | Q(pk__in=scope.branch_ids))


def committee_wide(user, committee, purpose: str = VIEW) -> bool:
    """Does the user's scope for ``purpose`` cover the whole of ``committee`` (not only some branches)?"""
    return getattr(committee, "pk", committee) in user_scope(user, purpose).committee_ids


def is_member_login(user) -> bool:
    """Does the user hold the 党员 role (their login is linked to their own member record)?"""
    return user_scope(user, VIEW).self_member


def has_scope(user, purpose: str = VIEW) -> bool:
    """Does the user reach anybody's record (their own included) for ``purpose``?"""
    return not user_scope(user, purpose).empty


def is_staff(user) -> bool:
    """Does the user see other people's records (any committee-wide or branch role)?"""
    scope = user_scope(user, VIEW)
    return bool(scope.committee_ids or scope.branch_ids)


def own_member(user, committee=None):
    """The member record linked to this login (in ``committee`` when given), or None; cached on the user
    object. (What the record lets the user see of it is the 党员 role's: ``is_member_login``.)"""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return None
    cache = user.__dict__.setdefault("_taizhang_own_member", {})
    key = getattr(committee, "pk", committee)
    if key not in cache:
        qs = _model("members.Member").objects.filter(user=user).select_related("branch", "committee")
        if key is not None:
            qs = qs.filter(committee_id=key)
        cache[key] = qs.order_by("id").first()
    return cache[key]


def home_committee(user):
    """The committee the user works in: the first committee of their staff roles (committee-wide or
    branch), else of any other role they hold (an admin post, the study role), else their own member
    record's committee; None for a user with no role."""
    ids = committee_ids_for(user, VIEW) or role_committee_ids(user)
    if ids:
        return _model("organisation.Committee").objects.filter(pk__in=ids).order_by("id").first()
    member = own_member(user)
    return member.committee if member else None


def home_committee_for(user, capability: str, refusal: str):
    """The user's home committee (``home_committee``) when they hold ``capability`` in it, else
    ``PermissionDenied(refusal)``: what a staff page asks first."""
    from django.core.exceptions import PermissionDenied

    committee = home_committee(user)
    if committee is None or not has_capability(user, capability, committee):
        raise PermissionDenied(refusal)
    return committee


def capability_holders(capability: str, committee):
    """The active users holding a role granting ``capability`` in ``committee`` (a queryset), e.g. the
    staff who may be named as the talkers of a talk (places, talks area)."""
    roles = _CAPABILITIES.get(capability, set())
    return _model("accounts.User").objects.filter(
        is_active=True, role_assignments__committee_id=getattr(committee, "pk", committee),
        role_assignments__role__in=roles).distinct()
