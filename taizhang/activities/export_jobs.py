"""The study readers export (who has read a study item) as one definition for the direct download and the
background job (issue 10 "Large exports"; ``core.export_jobs``).

The worker builds it again from the item's id as the user who asked: the item through ``study_get`` (the
items that user may see), the capability re-checked, the members through ``study_audience_members`` (the
members that user may see), streamed in chunks.
"""

import datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.activities import content_selectors as cs
from taizhang.activities import report_exports
from taizhang.activities.filters import StudyReadersFilter
from taizhang.core import export_jobs
from taizhang.core.permissions import has_capability

STUDY_READERS = "activities.study_readers"
ACTIVITY_REPORT = "activities.report"


def readers_filter(user, item, data, branches):
    """The readers page's filter set (read / branch / name) over the audience members ``user`` may see."""
    return StudyReadersFilter(data, queryset=cs.study_readers(item, user), branches=branches)


def readers_export(user, item, filters=None, *, totals=None) -> export_jobs.Export:
    """The readers of ``item`` that ``user`` may see, filtered as on the page (``filters``: its GET values),
    the whole list (its count now, one query when filtered; the rows when iterated, in chunks). ``totals``:
    ``study_reader_totals`` when the caller has it already."""
    total, branches = totals or cs.study_reader_totals(item, user)
    filterset = readers_filter(user, item, filters or {}, branches)
    if not filterset.is_valid():
        raise export_jobs.ExportRefused(" ".join(e for errs in filterset.errors.values() for e in errs))
    members = filterset.qs
    asked = {k: str(v) for k, v in filterset.form.cleaned_data.items() if v}
    if asked:
        counts = members.order_by().aggregate(expected=Count("pk"), read=Count("pk", filter=Q(is_read=True)))
    else:
        counts = {"expected": total.audience, "read": total.read}

    def rows():
        for m in members.iterator(chunk_size=1000):
            yield [m.name, m.branch.name if m.branch_id else "", m.party_group.name if m.party_group_id else "",
                   _("yes") if m.read_at else _("no"),
                   timezone.localtime(m.read_at).strftime("%Y-%m-%d %H:%M") if m.read_at else ""]

    return export_jobs.Export(
        header=[_("name"), _("branch"), _("party group"), _("read"), _("read at")],
        rows=rows(),
        total=counts["expected"],
        filename=f"{item.title[:60]}-{_('readers')}.xlsx",
        action="study.readers_export",
        obj=item,
        details={"read": counts["read"], "item": item.pk, "filters": asked},
        sheet_name=_("readers"),
        widths=[14, 16, 16, 8, 18],
    )


@export_jobs.register(STUDY_READERS, label=gettext_lazy("Who has read a study item"))
def build(user, params: dict, fmt: str) -> export_jobs.Export:
    from django.http import Http404

    try:
        item = cs.study_get(user, params.get("item"))
    except Http404:
        raise export_jobs.ExportRefused(_("This study item is no longer there for you. Nothing was exported.")) from None
    if not has_capability(user, "study.readers", item.committee_id):
        raise export_jobs.ExportRefused(_("Your role can no longer see who has read study items. Nothing was "
                                          "exported."))
    return readers_export(user, item, params.get("filters") or {})


def report_export(user, date_from: datetime.date, date_to: datetime.date) -> export_jobs.Export:
    """The activity report workbook (four sheets, ``report_exports``) of the period, for ``user``."""
    tables = report_exports.report_tables(user, date_from, date_to)
    members = len(tables["members"])
    return export_jobs.Export(
        header=[], rows=(), total=members,
        filename=f"{_('Activity report')}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx",
        action="report.export", object_type="activities.report", object_repr=_("Activity report"),
        details={"report": "activity_summary", "from": date_from.isoformat(), "to": date_to.isoformat(),
                 "members": members, "branches": len(tables["branches"])},
        write=lambda path: report_exports.write_workbook(path, tables),
    )


@export_jobs.register(ACTIVITY_REPORT, label=gettext_lazy("Activity report"))
def build_report(user, params: dict, fmt: str) -> export_jobs.Export:
    if not has_capability(user, "activities.manage"):
        raise export_jobs.ExportRefused(_("Your role can no longer see the activity reports. Nothing was exported."))
    return report_export(user, datetime.date.fromisoformat(params["date_from"]),
                         datetime.date.fromisoformat(params["date_to"]))
