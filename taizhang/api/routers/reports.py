"""The statistics reports (issue 14, ``taizhang.reports``): composition (党员构成) and increase and decrease
(党员增减) — the JSON of ``manage.py report_composition`` / ``report_flow`` (the same functions), over what the
calling user may see, for the roles of the report pages (``reports.view``; everyone else 403). Read from the
replica where one is configured, like the pages."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from taizhang.api.schemas import LIST_ERRORS, Day
from taizhang.core.forms import day_out_of_range
from taizhang.core.routers import use_replica
from taizhang.reports import flow as flow_module
from taizhang.reports.composition import DIMENSIONS, composition, parse_by
from taizhang.reports.statistics_views import require_reports

router = Router(tags=["reports"])


def _day(value: datetime.date | None, field: str, default: datetime.date) -> datetime.date:
    """The pages' rule for a report day: from 1900 to today (the flow history knows no days to come)."""
    today = timezone.localdate()
    if value is None:
        return default
    if message := day_out_of_range(value, last=today):
        raise ValidationError({field: [message]})
    return value


class CompositionParams(Schema):
    as_of: Day | None = Field(None, description="名册日期（默认今天）")
    by: str = Field("branch,age_band", max_length=60,
                    description="一个或两个维度，逗号分隔：" + ", ".join(DIMENSIONS))


class Cell(Schema):
    key: str
    label: str
    total: int


class Composition(Schema):
    as_of: str
    by: list[str]
    total: int
    rows: list[Cell]
    columns: list[Cell] | None = None
    counts: dict[str, dict[str, int]] | None = None


@router.get("/composition", response={200: Composition, **LIST_ERRORS}, summary="党员构成")
def report_composition(request, params: Query[CompositionParams]):
    """The roster on ``as_of`` counted by one or two dimensions, with totals (``report_composition --format
    json``)."""
    require_reports(request.auth)
    day = _day(params.as_of, "as_of", timezone.localdate())
    try:
        by = parse_by(params.by)
    except ValueError as exc:
        raise ValidationError({"by": [str(exc)]}) from None
    with use_replica():
        return composition(request.auth, day, by=by).as_dict()


class FlowParams(Schema):
    date_from: Day | None = Field(None, description="起始日（默认：截止日所在年的 1 月 1 日）")
    date_to: Day | None = Field(None, description="截止日（默认今天）")


class Reason(Schema):
    code: str
    label: str
    count: int


class FlowReport(Schema):
    date_from: datetime.date
    date_to: datetime.date
    opening: int
    closing: int
    increase: dict[str, int] = Field(description="增加：原因代码 → 人数")
    decrease: dict[str, int] = Field(description="减少：原因代码 → 人数")
    increase_reasons: list[Reason]
    decrease_reasons: list[Reason]


@router.get("/flow", response={200: FlowReport, **LIST_ERRORS}, summary="党员增减")
def report_flow(request, params: Query[FlowParams]):
    """The roster's increase and decrease by reason over a period, with the roster before and after
    (``report_flow --format json``, and the reasons labelled as on the page)."""
    user = request.auth
    require_reports(user)
    end = _day(params.date_to, "date_to", timezone.localdate())
    start = _day(params.date_from, "date_from", datetime.date(end.year, 1, 1))
    if start > end:
        raise ValidationError({"date_to": [_("The end date must not be before the start date.")]})
    with use_replica():
        report = flow_module.flow_report(user, start, end)
    moves = flow_module.branch_view(user)
    return {
        "date_from": start, "date_to": end, **report,
        "increase_reasons": [{"code": c, "label": str(label), "count": n}
                             for c, label, n in flow_module.ordered_reasons("increase", report["increase"], moves=moves)],
        "decrease_reasons": [{"code": c, "label": str(label), "count": n}
                             for c, label, n in flow_module.ordered_reasons("decrease", report["decrease"], moves=moves)],
    }
