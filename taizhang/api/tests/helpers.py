"""Test helpers of the API: a token client and the flat-query check of list endpoints."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from taizhang.api.tokens import api_token_create


def token_for(user, *, read_only=False, days=30, name="test") -> str:
    """A fresh token of ``user`` (read-write unless ``read_only``)."""
    return api_token_create(actor=user, name=name, days=days, read_only=read_only)[1]


class Api:
    """``client`` calls with ``Authorization: Bearer <token>``: ``api = Api(client, user)``;
    ``api.get("/members/")`` etc. (paths under /api/v1)."""

    def __init__(self, client, user=None, *, token=None, read_only=False):
        self.client = client
        self.token = token or (token_for(user, read_only=read_only) if user is not None else None)

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path, params=None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers())

    def post(self, path, data=None):
        return self.client.post(f"/api/v1{path}", data or {}, content_type="application/json",
                                headers=self._headers())

    def patch(self, path, data=None):
        return self.client.patch(f"/api/v1{path}", data or {}, content_type="application/json",
                                 headers=self._headers())

    def put(self, path, data=None):
        return self.client.put(f"/api/v1{path}", data or {}, content_type="application/json",
                               headers=self._headers())


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def assert_flat_queries(api, path, *, params=None, sizes=(1, 50)):
    """The query count of ``api.get(path)`` is the same for every page size in ``sizes`` (needs at least
    max(sizes) rows to be meaningful only when rows exist: with fewer, it still proves no per-row query
    for the rows there are). Returns the counts."""
    api.get(path, {**(params or {}), "page_size": sizes[0]})  # the token's first use writes last_used_at
    counts = [count_queries(lambda size=size: api.get(path, {**(params or {}), "page_size": size})) for size in sizes]
    assert len(set(counts)) == 1, f"{path}: queries grow with the page size: {dict(zip(sizes, counts, strict=True))}"
    return counts
