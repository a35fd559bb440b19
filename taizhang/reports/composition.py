"""党员构成: the roster on a day counted by one or two dimensions, in SQL over the roster spells.

The members counted are exactly the roster on ``day`` — the roster spells (``members.RosterSpell``) with a
roster status covering the day — limited to what the user may see (``core.permissions.restrict`` on the
spell: a committee-wide role sees its committees, a branch role the spells whose branch *that day* is
theirs; ``user`` None: every committee, as the operator's commands count). Today that is the roster of
``members.selectors.roster_counts``; on a past day a member who has since moved branch counts where they
were that day.

``DIMENSIONS`` (key → ``Dimension``) says, for each way of counting, its Chinese label, the SQL expression
that puts a spell (and its member) into one value, and the ordered values with their labels. Age and party
age are taken on ``day`` itself (birth-date / full-membership-date bounds, ``members.selectors.years_ago``).

``composition(user, day, by=("branch", "age_band"))`` runs one grouped query and returns a ``Table``;
``compositions(user, day, keys)`` gives the tables of several single dimensions from one query.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce, ExtractYear, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.activities import tallies
from taizhang.core.permissions import branches_for, restrict
from taizhang.members.models import OPEN_END, ROSTER_STATUSES, Category, Education, Gender, RosterSpell
from taizhang.members.selectors import AGE_BANDS, years_ago
from taizhang.organisation.models import Branch

NONE = "none"  # the value of members for whom a dimension is not known (no education, no party age yet)

PARTY_AGE_BANDS = [  # (key, lowest party age in years, highest or None)
    ("0-5", 0, 5),
    ("6-10", 6, 10),
    ("11-20", 11, 20),
    ("21-30", 21, 30),
    ("31-40", 31, 40),
    ("41-50", 41, 50),
    ("51plus", 51, None),
]


@dataclass(frozen=True)
class Dimension:
    key: str
    label: object  # a lazy Chinese label
    field: str = ""  # the member's field (path from the spell) for the plain dimensions

    def expression(self, day: datetime.date):
        """The SQL expression giving a roster spell's value on ``day``."""
        return F(self.field)

    def fixed_values(self, user, day: datetime.date) -> list[tuple[str, str]]:
        """The values shown even when nobody has them, in order, with their labels."""
        return []

    def label_of(self, value) -> str:
        return str(value) if value not in (None, "") else _("Not recorded")

    def key_of(self, value) -> str:
        return NONE if value in (None, "") else str(value)


@dataclass(frozen=True)
class ChoicesDimension(Dimension):
    choices: type = None

    def fixed_values(self, user, day):
        return [(str(value), str(label)) for value, label in self.choices.choices]

    def label_of(self, value):
        if value in (None, ""):
            return _("Not recorded")
        try:
            return str(self.choices(value).label)
        except ValueError:
            return str(value)


@dataclass(frozen=True)
class BranchDimension(Dimension):
    def expression(self, day):
        return F("branch_id")

    def fixed_values(self, user, day):
        branches = branches_for(user) if user is not None else Branch.objects.all()
        return [(str(b.pk), b.name) for b in branches.order_by("committee_id", "sort_order", "id")]

    def label_of(self, value):
        branch = Branch.objects.filter(pk=value).only("name").first()
        return branch.name if branch else str(value)


def age_bands() -> list[tuple[str, int | None, int | None]]:
    """(key, lowest age, age it stops at): the ledger's age filter bands (``members.selectors.AGE_BANDS``)
    cut into disjoint bands at the settings ``ELDERLY_AGE`` (60) and ``REPORT_OLD_AGE`` (70), so that 60+ is the
    sum of the last two (their keys keep the default numbers; the labels say the settings' ages)."""
    elderly, old = settings.ELDERLY_AGE, settings.REPORT_OLD_AGE
    bands = []
    for key in ("under35", "35-44", "45-59"):
        low, high = AGE_BANDS[key]
        bands.append((key, low, min(high, elderly)))
    bands.append(("60-69", elderly, old))
    bands.append(("70plus", old, None))
    return bands


def age_band_label(key: str, low, high) -> str:
    if low is None:
        return _("Under %(age)s") % {"age": high}
    if high is None:
        return _("%(age)s and over") % {"age": low}
    return _("%(low)s–%(high)s") % {"low": low, "high": high - 1}


@dataclass(frozen=True)
class AgeBandDimension(Dimension):
    def expression(self, day):
        whens = []
        for key, low, high in reversed(age_bands()):  # the oldest band first: its bound is the tightest
            if low is not None:
                whens.append(When(member__birth_date__lte=years_ago(low, day), then=Value(key)))
            else:
                whens.append(When(member__birth_date__gt=years_ago(high, day), then=Value(key)))
        return Case(*whens, default=Value(NONE))

    def fixed_values(self, user, day):
        return [(key, age_band_label(key, low, high)) for key, low, high in age_bands()]

    def label_of(self, value):
        labels = dict(self.fixed_values(None, None))
        return labels.get(value) or _("Not recorded")


def party_age_years(day: datetime.date):
    """SQL: whole years from the full membership date to ``day``, plus the correction, never below 0
    (``Member.party_age`` on ``day``); NULL for members not yet full members."""
    born = "member__full_membership_date"
    before_birthday = Case(
        When(Q(**{f"{born}__month__gt": day.month}) | Q(**{f"{born}__month": day.month, f"{born}__day__gt": day.day}),
             then=Value(1)),
        default=Value(0), output_field=IntegerField())
    years = Value(day.year) - ExtractYear(born) - before_birthday + F("member__party_age_correction")
    return Greatest(years, Value(0), output_field=IntegerField())


@dataclass(frozen=True)
class PartyAgeDimension(Dimension):
    """Grouped in SQL by the party age in whole years (a few dozen values), put into bands here."""

    def expression(self, day):
        full = "member__full_membership_date"
        return Case(When(Q(**{f"{full}__isnull": True}) | Q(**{f"{full}__gt": day}), then=Value(None)),
                    default=party_age_years(day), output_field=IntegerField())

    def key_of(self, value):
        if value is None:
            return NONE
        for key, low, high in PARTY_AGE_BANDS:
            if value >= low and (high is None or value <= high):
                return key
        return NONE

    def fixed_values(self, user, day):
        values = []
        for key, low, high in PARTY_AGE_BANDS:
            if high is None:
                values.append((key, _("%(years)s years and more") % {"years": low}))
            else:
                values.append((key, _("%(low)s–%(high)s years") % {"low": low, "high": high}))
        return [*values, (NONE, _("Probationary (no party age yet)"))]

    def label_of(self, value):
        return dict(self.fixed_values(None, None)).get(value) or _("Not recorded")


DIMENSIONS = {
    "branch": BranchDimension("branch", gettext_lazy("Branch")),
    "category": ChoicesDimension("category", gettext_lazy("Category"), "member__category", Category),
    "age_band": AgeBandDimension("age_band", gettext_lazy("Age")),
    "gender": ChoicesDimension("gender", gettext_lazy("Gender"), "member__gender", Gender),
    "education": ChoicesDimension("education", gettext_lazy("Education"), "member__education", Education),
    "party_age_band": PartyAgeDimension("party_age_band", gettext_lazy("Party age")),
    "ethnicity": Dimension("ethnicity", gettext_lazy("Ethnicity"), "member__ethnicity"),
}


@dataclass
class Table:
    """A one- or two-way count. ``rows``/``columns`` are ``[(key, label)]`` in order (``columns`` is
    ``[("total", …)]`` for one dimension); ``counts[(row, column)]`` (column ``"total"`` for one dimension);
    ``row_totals``, ``column_totals``, ``total``."""

    day: datetime.date
    by: tuple
    rows: list
    columns: list
    counts: dict = field(default_factory=dict)
    row_totals: dict = field(default_factory=dict)
    column_totals: dict = field(default_factory=dict)
    total: int = 0

    @property
    def dimensions(self) -> list[Dimension]:
        return [DIMENSIONS[key] for key in self.by]

    @property
    def two_way(self) -> bool:
        return len(self.by) == 2

    def cell(self, row, column="total") -> int:
        return self.counts.get((row, column), 0)

    def grid(self) -> list[tuple[str, str, list[int], int]]:
        """``[(row key, row label, [count per column], row total)]`` for templates and exports."""
        return [(key, label, [self.cell(key, c) for c, _label in self.columns], self.row_totals.get(key, 0))
                for key, label in self.rows]

    def footer(self) -> list[int]:
        return [self.column_totals.get(c, 0) for c, _label in self.columns]

    def as_dict(self) -> dict:
        """The JSON shape of ``report_composition --format json``."""
        data = {
            "as_of": self.day.isoformat(),
            "by": list(self.by),
            "total": self.total,
            "rows": [{"key": key, "label": label, "total": self.row_totals.get(key, 0)} for key, label in self.rows],
        }
        if self.two_way:
            data["columns"] = [{"key": key, "label": label, "total": self.column_totals.get(key, 0)}
                               for key, label in self.columns]
            data["counts"] = {row: {col: self.cell(row, col) for col, _label in self.columns if self.cell(row, col)}
                              for row, _label in self.rows}
        return data


def parse_by(value) -> tuple:
    """``"branch,age_band"`` (or a sequence) → a tuple of one or two known dimension keys; ValueError
    (with a Chinese message) otherwise."""
    keys = [k.strip() for k in (value.split(",") if isinstance(value, str) else value) if k and k.strip()]
    if not 1 <= len(keys) <= 2:
        raise ValueError(_("Choose one or two dimensions (of %(keys)s).") % {"keys": ", ".join(DIMENSIONS)})
    unknown = [k for k in keys if k not in DIMENSIONS]
    if unknown:
        raise ValueError(_("Unknown dimension “%(key)s”; choose from %(keys)s.")
                         % {"key": unknown[0], "keys": ", ".join(DIMENSIONS)})
    if len(keys) == 2 and keys[0] == keys[1]:
        raise ValueError(_("Choose two different dimensions."))
    return tuple(keys)


def roster_spells(user, day: datetime.date):
    """The roster spells covering ``day`` that ``user`` may see (every committee when ``user`` is None). Today
    (and later: the flow history holds no day to come) the open spells, which the partial indexes
    ``roster_spell_open_*`` serve, as ``members.selectors`` reads today's roster."""
    if day >= timezone.localdate():
        spells = RosterSpell.objects.filter(valid_to=OPEN_END, status__in=ROSTER_STATUSES)
    else:
        spells = RosterSpell.objects.filter(valid_from__lte=day, valid_to__gt=day, status__in=ROSTER_STATUSES)
    if user is not None:
        spells = restrict(spells, user, committee="committee", branch="branch", member="member")
    return spells


def _annotated(spells, dimension: Dimension, name: str, day: datetime.date):
    expression = dimension.expression(day)
    if dimension.field:
        expression = Coalesce(expression, Value(""))
    return spells.annotate(**{name: expression})


def _spells_by(user, day: datetime.date, keys) -> tuple:
    """(the roster's spells on ``day`` in ``user``'s scope with each dimension of ``keys`` as d0, d1 …, the names)."""
    spells = roster_spells(user, day).order_by()
    names = [f"d{i}" for i in range(len(keys))]
    for key, name in zip(keys, names, strict=True):
        spells = _annotated(spells, DIMENSIONS[key], name, day)
    return spells, names


def composition(user, day: datetime.date, by=("branch", "age_band")) -> Table:
    """The roster on ``day`` counted by ``by`` (one or two keys of ``DIMENSIONS``): one grouped query."""
    by = parse_by(by)
    spells, names = _spells_by(user, day, by)
    counts = {}
    for row in spells.values(*names).annotate(n=Count("pk")).values_list(*names, "n"):
        *values, n = row
        keys = tuple(DIMENSIONS[k].key_of(v) for k, v in zip(by, values, strict=True))
        counts[keys] = counts.get(keys, 0) + n
    return _table(user, day, by, counts)


def compositions(user, day: datetime.date, keys) -> dict:
    """{key: ``composition(user, day, by=(key,))``} for several single dimensions in ONE query: the roster's
    spells are read once (a CTE) and grouped by each dimension in turn (UNION ALL), where a query per
    dimension read them once each (the dashboard's seven panels)."""
    keys = [parse_by((key,))[0] for key in keys]
    if not keys:
        return {}
    spells, names = _spells_by(user, day, keys)
    try:
        sql, params = tallies.sql_of(spells.values(*names))
    except EmptyResultSet:  # nobody in scope
        return {key: _table(user, day, (key,), {}) for key in keys}
    once = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    # each dimension in its own column (their types differ: a branch id, a code …), NULL in the others; the
    # first, empty, SELECT gives every column its type (PostgreSQL types a column of NULLs as text)
    groups = " UNION ALL ".join([
        f"SELECT -1, {', '.join(f't.{name}' for name in names)}, 0 FROM t WHERE 1 = 0",
        *(f"SELECT {i}, {', '.join(f't.{other}' if other == name else 'NULL' for other in names)}, COUNT(*)"
          f" FROM t GROUP BY t.{name}" for i, name in enumerate(names))])
    counts = [{} for _key in keys]
    for index, *values, n in tallies.fetch(f"WITH t AS {once}({sql}) {groups}", params):
        found = (DIMENSIONS[keys[index]].key_of(values[index]),)
        counts[index][found] = counts[index].get(found, 0) + n
    return {key: _table(user, day, (key,), counts[i]) for i, key in enumerate(keys)}


def _table(user, day: datetime.date, by: tuple, counts: dict) -> Table:
    """The ``Table`` of ``counts`` ({(row key[, column key]): n}) counted by ``by``."""

    def axis(index: int) -> list[tuple[str, str]]:
        dimension = DIMENSIONS[by[index]]
        ordered = dimension.fixed_values(user, day)
        known = {key for key, _label in ordered}
        seen = {}
        for keys, n in counts.items():
            if keys[index] not in known:
                seen[keys[index]] = seen.get(keys[index], 0) + n
        extra = sorted(seen, key=lambda k: (k == NONE, -seen[k], k))  # the most frequent first, unknown last
        return ordered + [(k, dimension.label_of(None if k == NONE else k)) for k in extra]

    rows = axis(0)
    columns = axis(1) if len(by) == 2 else [("total", _("Total"))]
    table = Table(day=day, by=by, rows=rows, columns=columns)
    for keys, n in counts.items():
        row, column = keys[0], keys[1] if len(by) == 2 else "total"
        table.counts[(row, column)] = n
        table.row_totals[row] = table.row_totals.get(row, 0) + n
        table.column_totals[column] = table.column_totals.get(column, 0) + n
        table.total += n
    return table
