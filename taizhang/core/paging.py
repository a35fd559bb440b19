"""The two lines every list page writes around the shared pager include (``templates/includes/pager.html``,
issue 9 "Lists"): the page the request asks for, and the list's other GET parameters for the pager's links."""

from django.core.paginator import Page, Paginator


def page_of(request, items, per_page: int) -> Page:
    """The page of ``items`` named by the request's ``page`` parameter (the first or the last when it is
    missing, not a number or out of range)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def pager_query(request, *drop: str) -> str:
    """The request's query string without ``page`` and the parameters ``drop``, urlencoded: the ``query``
    the pager include adds the page number to (every value of a repeated parameter kept)."""
    query = request.GET.copy()
    for key in ("page", *drop):
        query.pop(key, None)
    return query.urlencode()
