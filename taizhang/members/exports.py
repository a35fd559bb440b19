"""The ledger export: which members, with what, and the cells of each row.

The columns are ``ledger_columns.COLUMNS`` in order, under their ``header`` names, and every value is
written the way the import reads it (so an export imports back unchanged):

* dates ``YYYY-MM-DD``; 性别 男/女; 是/否 for the yes/no columns; 人员类别, 人员类型 and 学历 as the
  first value of ``MEMBERSHIP_VALUES`` / ``CATEGORY_VALUES`` / ``EDUCATION_VALUES``;
* 所在党支部 and 所在区 by name; 标签 joined with 、 (in tag-name order);
* 备注 the text of the member's latest behaviour note; 登记日期 the effective date of the latest
  effective REGISTERED flow event; 是否失联党员 是 when the current status is lost contact;
* 公民身份号码 and 手机号码 in full where the viewer may reveal that member (REVEAL), masked otherwise.

The rows come from the list's own filtered queryset (``MemberFilter`` over ``member_queryset``), read
with ``iterator(chunk_size=…)``: the members come with branch, district, status, note, registration date
and "may reveal" joined or as subqueries, and their tags are fetched with one query per chunk, so memory
and the number of queries do not grow with the rows.
"""

from collections import defaultdict
from collections.abc import Iterator

from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, Subquery, Value

from taizhang.core.audit import audit_log
from taizhang.core.permissions import REVEAL
from taizhang.members import selectors
from taizhang.members.ledger_columns import (
    CATEGORY_VALUES,
    COLUMNS,
    EDUCATION_VALUES,
    GENDER_VALUES,
    MEMBERSHIP_VALUES,
    YES_NO,
)
from taizhang.members.models import BehaviourNote, EventKind, FlowEvent, Member, Status

CHUNK_SIZE = 1000
HEADERS = [c.header for c in COLUMNS]
# Column widths in the .xlsx (characters), by key; the rest get DEFAULT_WIDTH.
WIDTHS = {"id_number": 21, "phone": 13, "branch": 14, "residence": 24, "household_registration": 20,
          "employer": 20, "tags": 18, "remarks": 30}
DEFAULT_WIDTH = 11
XLSX_WIDTHS = [WIDTHS.get(c.key, DEFAULT_WIDTH) for c in COLUMNS]
TAG_SEPARATOR = "、"


def _first(values: dict, key) -> str:
    return values[key][0] if key in values else (key or "")


def prepare(queryset, user=None):
    """The export queryset: ``queryset`` (already scoped, filtered and ordered) plus what the rows need.

    ``user`` None (the operator's command) may reveal everything; otherwise ``may_reveal`` is true for
    the members in ``member_queryset(user, REVEAL)`` (one uncorrelated subquery, not a check per row).
    """
    if user is None:
        may_reveal = Value(True)
    else:
        revealable = selectors.member_queryset(user, REVEAL).order_by().values("pk")
        may_reveal = ExpressionWrapper(Q(pk__in=Subquery(revealable)), output_field=BooleanField())
    latest_note = BehaviourNote.objects.filter(member=OuterRef("pk")).order_by("-noted_on", "-id").values("text")[:1]
    registered = (
        FlowEvent.objects.effective()
        .filter(member=OuterRef("pk"), kind=EventKind.REGISTERED)
        .order_by("-effective_date", "-id")
        .values("effective_date")[:1]
    )
    return queryset.select_related("branch", "district").annotate(
        may_reveal=may_reveal,
        latest_note=Subquery(latest_note),
        registered_on=Subquery(registered),
    )


def summary(queryset) -> dict:
    """Rows and whether any of them is unmasked, in one query (for the audit entry before streaming)."""
    counts = queryset.order_by().aggregate(rows=Count("pk"), unmasked=Count("pk", filter=Q(may_reveal=True)))
    return {"rows": counts["rows"], "unmasked": bool(counts["unmasked"])}


def cell_functions() -> dict:
    """Column key -> function(prepared member) -> cell text."""
    return {
        "name": lambda m: m.name,
        "gender": lambda m: _first(GENDER_VALUES, m.gender),
        "id_number": lambda m: m.id_number if m.may_reveal else m.id_number_masked,
        "ethnicity": lambda m: m.ethnicity,
        "birth_date": lambda m: m.birth_date.isoformat(),
        "education": lambda m: _first(EDUCATION_VALUES, m.education),
        "membership_type": lambda m: _first(MEMBERSHIP_VALUES, m.membership_type),
        "branch": selectors.branch_name_on,
        "phone": lambda m: (m.phone if m.may_reveal else m.phone_masked) if m.phone_encrypted else "",
        "join_date": lambda m: m.join_date.isoformat(),
        "full_membership_date": lambda m: m.full_membership_date.isoformat() if m.full_membership_date else "",
        "position": lambda m: m.position,
        "residence": lambda m: m.residence,
        "household_registration": lambda m: m.household_registration,
        "lost_contact": lambda m: YES_NO[m.status == Status.LOST][0],
        "is_mobile": lambda m: YES_NO[bool(m.is_mobile)][0],
        "category": lambda m: _first(CATEGORY_VALUES, m.category),
        "district": lambda m: m.district.name if m.district_id else "",
        "employer": lambda m: m.employer,
        "industry": lambda m: m.industry,
        "tags": lambda m: TAG_SEPARATOR.join(m.tag_names),
        "remarks": lambda m: m.latest_note or "",
        "registered_on": lambda m: m.registered_on.isoformat() if m.registered_on else "",
    }


def _chunks(iterable, size: int):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def with_tag_names(members) -> Iterator[Member]:
    """The members with ``tag_names`` (sorted by name) set: one query per chunk of CHUNK_SIZE members.

    A plain ``values_list`` query per chunk rather than ``prefetch_related`` (which builds a Tag and a
    related manager per member: about a quarter of the export's time at 50,000 members).
    """
    through = Member.tags.through
    for chunk in _chunks(members, CHUNK_SIZE):
        names = defaultdict(list)
        links = (through.objects.filter(member_id__in=[m.pk for m in chunk])
                 .order_by("tag__name", "tag_id").values_list("member_id", "tag__name"))
        for member_id, name in links:
            names[member_id].append(name)
        for member in chunk:
            member.tag_names = names.get(member.pk, [])
            yield member


def iter_rows(prepared) -> Iterator[list[str]]:
    """The cells of each member of a ``prepare``d queryset in column order, chunk by chunk."""
    functions = cell_functions()
    functions = [functions[c.key] for c in COLUMNS]
    for member in with_tag_names(prepared.iterator(chunk_size=CHUNK_SIZE)):
        yield [f(member) for f in functions]


# The printed roster (党员名册): the main columns, numbers always masked.
ROSTER_KEYS = ["name", "gender", "birth_date", "membership_type", "join_date", "branch", "category", "district",
               "phone", "id_number"]


def roster_rows(queryset) -> Iterator[tuple]:
    """``(member, [cells of ROSTER_KEYS])`` for the printed roster; numbers masked whoever prints."""
    prepared = queryset.select_related("branch", "district").annotate(may_reveal=Value(False))
    functions = cell_functions()
    functions = [functions[k] for k in ROSTER_KEYS]
    for member in prepared.iterator(chunk_size=CHUNK_SIZE):
        yield member, [f(member) for f in functions]


def log_export(*, actor, fmt: str, filters: dict, rows: int, unmasked: bool, ip_address=None, username: str = "",
               source: str = "web"):
    """The audit entry of one export (``member.export``): format, filters, rows, masked or not."""
    return audit_log(
        actor=actor,
        action="member.export",
        object_type="members.member",
        new={"format": fmt, "filters": filters, "rows": rows, "unmasked": unmasked, "source": source},
        message="unmasked" if unmasked else "masked",
        ip_address=ip_address,
        username=username,
    )
