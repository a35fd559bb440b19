"""Page-number pagination of every API list, on the pages' pager (``core.paging``):
``?page=2&page_size=50`` → ``{"count": N, "page": 2, "page_size": 50, "results": [...]}``.

``page_size`` is capped by ``TAIZHANG_API_PAGE_SIZE_MAX`` (default 100; a larger value is a 422); a page past
the last gives the last page (as on the pages) and says which one it is. Two ways to use it:

* ``@paginate(PageNumber)`` under the route decorator, the endpoint returning a queryset (or a sliceable with
  ``len``) whose items the response schema reads as they are;
* ``params: Query[PageParams]`` and ``return paged(request, items, params, row=...)`` with ``-> Paged[Row]``,
  when each item is turned into its answer by a function (what the user may see of it).

Query counts: one COUNT (or the ``count`` given) and one read of the page, whatever the page size — a list
endpoint's test checks it with ``taizhang.api.tests.helpers.assert_flat_queries``."""

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import PaginationBase, paginate  # noqa: F401  (re-exported for the routers)

from taizhang.core.paging import page_of

T = TypeVar("T")


class PageParams(Schema):
    """The page a list endpoint is asked for (``Query[PageParams]``)."""

    page: int = Field(1, ge=1, le=1_000_000, description="页码，从 1 开始")
    page_size: int = Field(settings.API_PAGE_SIZE, ge=1, le=settings.API_PAGE_SIZE_MAX, description="每页条数")


class Paged(Schema, Generic[T]):
    """A page of a list: ``Paged[MemberRow]`` as an endpoint's response."""

    count: int
    page: int
    page_size: int
    results: list[T]


def paged(request, items, params: PageParams, *, row: Callable | None = None, count: int | None = None) -> dict:
    """The page ``params`` asks for of ``items`` (a queryset or a sliceable with ``len``), each item turned
    into its answer by ``row`` (e.g. what the user may see of a member); ``count`` when already known."""
    page = page_of(request, items, params.page_size, number=params.page, count=count)
    rows = list(page.object_list)
    return {"count": page.paginator.count, "page": page.number, "page_size": params.page_size,
            "results": [row(item) for item in rows] if row else rows}


class PageNumber(PaginationBase):
    """``@paginate(PageNumber)``: the same page as ``paged``, from the same ``PageParams``."""

    class Input(PageParams):
        pass

    class Output(Schema):
        count: int
        page: int
        page_size: int
        results: list[Any]

    items_attribute = "results"

    def paginate_queryset(self, queryset, pagination: Input, request, **params):
        return paged(request, queryset, pagination, count=params.pop("count", None))
