"""Rule 10: the query count of every list page does not grow with its rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.accounts.services import role_assign, user_create
from taizhang.core.audit import audit_log
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


def queries_for(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_audit_log_page(client, cast):
    client.force_login(cast.auditor)
    before = queries_for(client, reverse("core:audit"))
    for i in range(30):
        audit_log(actor=cast.admin, action="test.entry", object_repr=f"row {i}", new={"i": i})
    assert queries_for(client, reverse("core:audit")) == before


def test_users_page(client, cast):
    client.force_login(cast.sysadmin)
    before = queries_for(client, reverse("accounts:users"))
    for i in range(15):
        user = user_create(actor=cast.sysadmin, username=f"new{i}", password=f"Qz8#vlmt-{i}")
        role_assign(actor=cast.secadmin, user=user, role="branch_secretary", committee=cast.committee, branch=cast.east)
    assert queries_for(client, reverse("accounts:users")) == before


def test_organisation_page(client, cast):
    client.force_login(cast.admin)
    before = queries_for(client, reverse("organisation:index"))
    for i in range(10):
        make_member(cast.admin, cast.central, birth_date=datetime.date(1960 + i, 3, 3))
    assert queries_for(client, reverse("organisation:index")) == before


def test_home_page(client, cast):
    client.force_login(cast.admin)
    before = queries_for(client, reverse("home"))
    for i in range(10):
        make_member(cast.admin, cast.west, birth_date=datetime.date(1950 + i, 3, 3))
    assert queries_for(client, reverse("home")) == before
