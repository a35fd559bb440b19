"""The member picker of the forms that name members among many (a care visit, a hand-out, a talk): a search
box that asks the server for at most ``SEARCH_LIMIT`` members with the ledger's search (name, pinyin or
initials; never ID or phone numbers), and ticked boxes for the ones chosen. The page never lists everyone.

The view gives the queryset of members the user may pick (already scoped) and its own two partials: the
results list and the ticked box ("chip") of one member."""

from django.shortcuts import get_object_or_404, render

from taizhang.members.selectors import search_members

SEARCH_LIMIT = 20
TICKED_LIMIT = 50


def ticked_members(field, queryset) -> list:
    """The members a (re-shown) picker has ticked: the posted or initial values of ``field`` (a bound form
    field), at most ``TICKED_LIMIT``, as far as ``queryset`` holds them."""
    values = field.value()
    values = values if isinstance(values, list | tuple) else [values] if values not in (None, "") else []
    pks = [int(v) for v in values if str(v).isdigit()][:TICKED_LIMIT]
    return list(queryset.filter(pk__in=pks).select_related("branch").order_by("name_pinyin", "id")) if pks else []


def picker_response(request, queryset, *, chip_template: str, results_template: str, context: dict):
    """htmx: with ``?pick=ID`` the ticked box of that member (404 outside ``queryset``), otherwise the members
    of ``queryset`` matching ``?q=`` (at most ``SEARCH_LIMIT``, and whether there are more)."""
    if request.GET.get("pick", "").isdigit():
        member = get_object_or_404(queryset, pk=int(request.GET["pick"]))
        return render(request, chip_template, {"m": member, **context})
    q = request.GET.get("q", "").strip()[:50]
    found = list(search_members(queryset, q, numbers=False).order_by("name_pinyin", "id")[:SEARCH_LIMIT + 1]) if q else []
    return render(request, results_template, {"found": found[:SEARCH_LIMIT], "more": len(found) > SEARCH_LIMIT,
                                              "limit": SEARCH_LIMIT, "q": q, **context})
