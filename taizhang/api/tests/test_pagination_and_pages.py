"""The pager of the API (both forms) and the token page's query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja import Router, Schema
from ninja.testing import TestClient

from taizhang.api.pagination import PageNumber, paginate
from taizhang.api.tokens import api_token_create
from taizhang.members.models import Member

pytestmark = pytest.mark.django_db


class Row(Schema):
    id: int
    name: str


def test_the_paginate_decorator_answers_count_page_and_results(cast):
    router = Router()

    @router.get("/rows", response=list[Row])
    @paginate(PageNumber)
    def rows(request):
        return Member.objects.order_by("pk")

    client = TestClient(router)
    body = client.get("/rows?page=2&page_size=4").json()
    assert body["count"] == 6 and body["page"] == 2 and body["page_size"] == 4
    assert [r["name"] for r in body["results"]] == [m.name for m in Member.objects.order_by("pk")[4:6]]
    assert client.get("/rows?page=99&page_size=4").json()["page"] == 2  # past the last: the last
    assert client.get("/rows?page_size=101").status_code == 422


def test_the_token_page_query_count_does_not_grow_with_the_tokens(client, cast):
    client.force_login(cast.secadmin)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/account/api-tokens/").status_code == 200
        return len(ctx.captured_queries)

    api_token_create(actor=cast.admin, name="a", days=3)
    one = queries()
    for user in (cast.east_secretary, cast.west_secretary, cast.study, cast.plain_member):
        for i in range(3):
            api_token_create(actor=user, name=f"t{i}", days=3)
    assert queries() == one
