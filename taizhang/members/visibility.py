"""Which parts of a member's record each purpose shows (PIPL "minimum necessary").

The one place that decides it: the member page, the ledger list's columns, its filters and its search
read these tables; exports need the ``ledger.export`` capability (core/permissions.py) on top.

* ``VIEW`` (the 学习委员's reach): names, branches, party facts and the study/points panels.
* ``DETAILS`` (staff who manage the ledger, and a member on their own record): everything else —
  personal numbers (masked), birth date, ethnicity and education, contact, home address and district,
  household, category and work situation, behaviour tags, interests and notes, the flow history.

A viewer who holds DETAILS over some members and only VIEW over others (e.g. a 学习委员 who is also a
branch secretary) sees the detail columns, blank on the rows of members outside their DETAILS scope.
"""

from types import SimpleNamespace

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from taizhang.core.permissions import DETAILS, VIEW, allows, has_capability, has_scope, is_member_login

# Sections of the member page -> the purpose needed to see them.
PAGE_SECTIONS = {
    "basic": VIEW,  # name, gender, age, branch, party group, membership type, party standing and dates
    "numbers": DETAILS,  # citizen ID number and phone (masked; reveal needs REVEAL)
    "personal": DETAILS,  # birth date, ethnicity, education
    "residence": DETAILS,  # district, residence address, household registration, category
    "household": DETAILS,  # household and the people in it
    "contact": DETAILS,  # last contact
    "work": DETAILS,  # employment status, employer, industry, position
    "behaviour": DETAILS,  # tags, interests, behaviour notes
    "flow": DETAILS,  # the flow history with its reasons
}

# Ledger list columns (``tables.MEMBER_COLUMNS`` keys) that need DETAILS; the others need VIEW.
DETAIL_COLUMNS = frozenset({"category", "phone", "district", "last_contact"})

# Ledger list filters (``filters.MemberFilter``) that need DETAILS: they would reveal what the columns hide.
DETAIL_FILTERS = frozenset({"category", "contact", "tag"})

# Searching by phone or ID number digits (``selectors.search_members``) needs DETAILS.
SEARCH_BY_NUMBERS = DETAILS


def require_ledger(user) -> None:
    """The ledger (its pages and the API's members): the ledger roles, or a member on their own record."""
    if not (has_capability(user, "ledger.use") or is_member_login(user)):
        raise PermissionDenied(_("Your role does not give access to the member ledger."))


def member_sections(user, member) -> SimpleNamespace:
    """``show.<section>`` booleans for one member's page."""
    ids = {"committee_id": member.committee_id, "branch_id": member.branch_id, "member_user_id": member.user_id}
    granted = {purpose: allows(user, purpose, **ids) for purpose in set(PAGE_SECTIONS.values())}
    return SimpleNamespace(**{name: granted[purpose] for name, purpose in PAGE_SECTIONS.items()})


def has_details_anywhere(user) -> bool:
    return has_scope(user, DETAILS)


def list_columns(user, columns):
    """The columns of the ledger list this user sees."""
    if has_details_anywhere(user):
        return list(columns)
    return [c for c in columns if c.key not in DETAIL_COLUMNS]


def row_cells(user, member, columns):
    """``[(column, value)]`` for one row; detail cells are blank where the user lacks DETAILS on this member."""
    details = None
    cells = []
    for column in columns:
        if column.key in DETAIL_COLUMNS:
            if details is None:
                details = allows(user, DETAILS, committee_id=member.committee_id, branch_id=member.branch_id,
                                 member_user_id=member.user_id)
            cells.append((column, column.value(member) if details else ""))
        else:
            cells.append((column, column.value(member)))
    return cells


def hidden_filters(user) -> frozenset:
    """Filter names of the ledger list this user may not use (dropped from the form, ignored in the query)."""
    return frozenset() if has_details_anywhere(user) else DETAIL_FILTERS


def may_search_numbers(user) -> bool:
    return has_scope(user, SEARCH_BY_NUMBERS)
