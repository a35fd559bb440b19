"""The two lines every list page writes around the shared pager include (``templates/includes/pager.html``,
issue 9 "Lists"): the page the request asks for, and the list's other GET parameters for the pager's links."""

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Value


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


class GroupedRows(LazyRows):
    """Rows in the order of consecutive groups — querysets each read in the order ``order`` (e.g. one branch's
    members by pinyin) — a page read in ONE query: the slices of the groups the page overlaps, each with its
    own ORDER BY and LIMIT (so an index in that order serves it and stops at the page), joined by UNION ALL
    and ordered by group; ``fetch`` then reads the page's rows by their ids (one query, in any order: they are
    put in the page's order here, a row ``fetch`` does not find is left out; None: the ids). So a
    page costs what it shows, not a sort of the whole list. ``counts`` (each group's number of rows: a list,
    or a callable returning one, called only for a page after the first) skips the groups before the page and
    stops after it (without counts every group is read up to the page's size). ``count``: the rows of all groups together; ``whole``: the same rows as one queryset
    in the list's order, read instead where the database cannot order the parts of a UNION (SQLite)."""

    def __init__(self, groups: list, count: int, counts=None, *, order, whole, fetch=None):
        self.groups, self.count_, self._counts = groups, count, counts
        self.order, self.whole, self.fetch = tuple(order), whole, fetch

    def _ids(self, offset: int, limit: int | None) -> list:
        if not connection.features.supports_slicing_ordering_in_compound or not self.groups:
            stop = None if limit is None else offset + limit
            return list(self.whole.values_list("pk", flat=True)[offset:stop])
        counts = self._counts if not callable(self._counts) else self._counts() if offset else None
        parts, left = [], limit
        for i, group in enumerate(self.groups):
            if left is not None and left <= 0:
                break
            if counts is not None and offset >= counts[i]:
                offset -= counts[i]
                continue
            rows = group.order_by(*self.order).annotate(grp=Value(i)).values_list("pk", "grp", *self.order)
            parts.append(rows[offset:None if left is None else offset + left])
            if counts is not None and left is not None:
                left -= counts[i] - offset
            offset = 0
        if len(parts) < 2:  # one group (already in its order) or none
            return [row[0] for part in parts for row in part]
        union = parts[0].union(*parts[1:], all=True).order_by("grp", *self.order)
        return [row[0] for row in (union if limit is None else union[:limit])]

    def _rows(self, offset: int, limit: int | None) -> list:
        ids = self._ids(offset, limit)
        if self.fetch is None:
            return ids
        rows = {row.pk: row for row in self.fetch(ids)}
        return [rows[pk] for pk in ids if pk in rows]
