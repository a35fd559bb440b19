"""The two lines every list page writes around the shared pager include (``templates/includes/pager.html``,
issue 9 "Lists"): the page the request asks for, and the list's other GET parameters for the pager's links."""

from django.core.paginator import Page, Paginator


class CountedPaginator(Paginator):
    """A paginator told its total: a list whose count is already known (an aggregate the page shows anyway,
    or a count cheaper than ``COUNT(*)`` over the list's joins) is not counted again."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


def page_number(request) -> int:
    """The page the request asks for (``page``), 1 when it is missing or not a number: for a view that reads
    the page in the same query as the list's totals, before the paginator checks the range."""
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1


def page_of(request, items, per_page: int, *, count: int | None = None, number=None) -> Page:
    """The page of ``items`` named by the request's ``page`` parameter (or ``number``; the first or the last
    when it is missing, not a number or out of range). ``count``: the list's total when it is already known."""
    paginator = Paginator(items, per_page) if count is None else CountedPaginator(items, per_page, count=count)
    return paginator.get_page(request.GET.get("page") if number is None else number)


def pager_query(request, *drop: str) -> str:
    """The request's query string without ``page`` and the parameters ``drop``, urlencoded: the ``query``
    the pager include adds the page number to (every value of a repeated parameter kept)."""
    query = request.GET.copy()
    for key in ("page", *drop):
        query.pop(key, None)
    return query.urlencode()


class LazyRows:
    """Rows a database query sorts and pages (a report's member table): ``len`` is known up front (``count_``,
    from an aggregate), a slice — the pager's page — reads just its rows, iterating reads them all (the export).
    A subclass sets ``count_`` and implements ``_rows(offset, limit)`` (``limit`` None: all from ``offset``)."""

    count_: int = 0
    prefetched: dict = {}  # key -> (limit read, rows): a page read in the same query as the totals

    def __len__(self) -> int:
        return self.count_

    def _already_read(self, key, limit: int | None) -> list | None:
        """The first ``limit`` rows of the page ``prefetched[key]`` when that read covers them, else None."""
        limit_read, rows = self.prefetched.get(key, (0, None))
        if rows is not None and limit is not None and (limit <= limit_read or len(rows) < limit_read):
            return rows[:limit]
        return None

    def _rows(self, offset: int, limit: int | None) -> list:
        raise NotImplementedError

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self.count_)
            rows = self._rows(start, max(0, stop - start))
            return rows[::step] if step != 1 else rows
        if index < 0:
            index += self.count_
        if not 0 <= index < self.count_:
            raise IndexError(index)
        return self._rows(index, 1)[0]

    def __iter__(self):
        return iter(self._rows(0, None))
