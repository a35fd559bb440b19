"""Keeping full ID and phone numbers out of URLs (server logs, browser history, htmx push-url).

The ledger's search box is posted, not sent as a GET parameter. A search by name, pinyin or the last four
characters comes back as an ordinary link (``?q=张``, ``?q=zwm``, ``?q=1234``); a search with more digits
than that (a full or partial ID or phone number) is kept in the user's session under a random key and the
link carries only that key (``?s=Kq3…``). Pagination, page sizes and the export links then pass the key, and
every page that reads the list's filters resolves it here (``filter_data``). The key means nothing in
another session, and the audit log records such a search masked (``loggable``).
"""

import re
import secrets

from django.http import QueryDict

from taizhang.core.chinese import to_halfwidth

SESSION_KEY = "taizhang_member_searches"
PARAM = "s"
KEPT = 20  # searches remembered per session (oldest dropped first)
# Name, pinyin and the last four characters are fine in a URL; more digits than that are a number.
_VISIBLE_DIGITS = 4


def is_sensitive(text: str) -> bool:
    """Does the search text hold more digits than the last four of a number (so part of a full number)?"""
    return len(re.findall(r"\d", to_halfwidth(text or ""))) > _VISIBLE_DIGITS


def _store(request) -> dict:
    return request.session.get(SESSION_KEY, {})


def stash(request, text: str) -> str:
    """Remember ``text`` in the session; return its key (the same key for the same text)."""
    kept = dict(_store(request))
    for key, value in kept.items():
        if value == text:
            return key
    key = secrets.token_urlsafe(9)
    kept[key] = text
    while len(kept) > KEPT:
        kept.pop(next(iter(kept)))
    request.session[SESSION_KEY] = kept
    return key


def link_query(request, data) -> QueryDict:
    """The filter values as they may appear in a URL: a sensitive ``q`` replaced by its session key."""
    query = QueryDict(mutable=True)
    for name, values in data.lists():
        if name != "csrfmiddlewaretoken":
            query.setlist(name, values)
    text = (query.get("q") or "").strip()
    if text and is_sensitive(text):
        query.pop("q")
        query[PARAM] = stash(request, text)
    elif text:
        query.pop(PARAM, None)  # a new search replaces a remembered one
    return query


def filter_data(request, data=None) -> tuple[QueryDict, bool]:
    """The list's filter data from ``data`` (default ``request.GET``) with a search key replaced by the
    stored text; and whether a key was given that this session does not know (an expired search)."""
    data = request.GET if data is None else data
    key = data.get(PARAM)
    if not key or data.get("q"):
        return data, False
    resolved = data.copy()
    resolved.pop(PARAM)
    text = _store(request).get(key)
    if text is None:
        return resolved, True
    resolved["q"] = text
    return resolved, False


def loggable(params: dict) -> dict:
    """Filter values for the audit log: a sensitive search is recorded with its digits masked."""
    text = params.get("q")
    if text and is_sensitive(text):
        chars = list(text)
        positions = [i for i, c in enumerate(chars) if c.isdigit() or c in "xX"]
        for i in positions[4:-4] if len(positions) > 8 else positions[:-4]:
            chars[i] = "*"
        params = {**params, "q": "".join(chars)}
    return params
