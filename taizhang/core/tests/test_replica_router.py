"""The read-replica router (issue 10 scale-out) with two database aliases: ``replica`` is a TEST MIRROR of
``default`` here (as ``config/settings.py`` configures it under DATABASE_REPLICA_URL), so no second
server is needed, and the queries each connection runs show where a read went.

The tests are transactional: a mirror is its own connection and sees only committed rows.
"""

import pytest
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.accounts.models import RoleAssignment, User
from taizhang.core.routers import REPLICA, ReplicaRouter, reading_from_replica, use_replica
from taizhang.members.models import Member
from taizhang.organisation.models import Committee

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    """The ``replica`` alias as the settings add it, pointing at the test database as a mirror of default."""
    assert REPLICA not in connections.settings
    primary = connections["default"].settings_dict  # the test database by now (django_db_setup)
    connections.settings[REPLICA] = {**primary, "TEST": {**primary["TEST"], "MIRROR": "default"}}
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture(autouse=True)
def _router(settings):
    settings.DATABASE_ROUTERS = ["taizhang.core.routers.ReplicaRouter"]


class Queries:
    """The queries run on each alias inside the block."""

    def __enter__(self):
        self.default = CaptureQueriesContext(connections["default"]).__enter__()
        self.replica = CaptureQueriesContext(connections[REPLICA]).__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.default.__exit__(*exc)

    def on(self, alias, table=""):
        queries = self.default if alias == "default" else self.replica
        return [q["sql"] for q in queries.captured_queries if table in q["sql"]]


def test_reads_stay_on_default_unless_marked(cast):
    with Queries() as q:
        assert Member.objects.count() == 6
    assert q.on("default", "members_member") and not q.on(REPLICA)
    assert router.db_for_read(Member) == "default"


def test_marked_reads_go_to_the_replica(cast):
    with use_replica(), Queries() as q:
        assert reading_from_replica()
        assert Member.objects.count() == 6
        assert Committee.objects.get().name == cast.committee.name
    assert len(q.on(REPLICA, "members_member")) == 1
    assert len(q.on(REPLICA, "organisation_committee")) == 1
    assert not q.on("default")
    assert not reading_from_replica()  # only inside the block


def test_use_replica_as_a_decorator(cast):
    @use_replica()
    def names():
        return sorted(Member.objects.values_list("name", flat=True))

    with Queries() as q:
        assert len(names()) == 6
    assert q.on(REPLICA, "members_member") and not q.on("default")


def test_writes_always_go_to_default_even_of_an_object_read_from_the_replica(cast):
    with use_replica():
        committee = Committee.objects.get()
        assert committee._state.db == REPLICA
        committee.name = "改名的党委"
        with Queries() as q:
            committee.save(update_fields=["name"])
        assert router.db_for_write(Member) == "default"
    assert any(sql.startswith("UPDATE") for sql in q.on("default", "organisation_committee"))
    assert not q.on(REPLICA)
    assert Committee.objects.get().name == "改名的党委"


def test_who_the_user_is_and_their_roles_are_read_from_the_primary(cast):
    with use_replica(), Queries() as q:
        assert User.objects.filter(username="admin").exists()
        assert RoleAssignment.objects.filter(user__username="admin").exists()
    assert q.on("default", "accounts_user") and q.on("default", "accounts_roleassignment")
    assert not q.on(REPLICA)


def test_reads_inside_a_transaction_on_the_primary_see_its_writes(cast):
    with use_replica(), transaction.atomic(), Queries() as q:
        Committee.objects.update(name="事务中的名称")
        assert Committee.objects.get().name == "事务中的名称"
    assert not q.on(REPLICA)


def test_related_objects_follow_the_instance_they_come_from(cast):
    member = Member.objects.select_related(None).get(pk=cast.me.pk)  # read from default
    with use_replica(), Queries() as q:
        assert member.branch.name == "东部片区支部"
    assert q.on("default", "organisation_branch") and not q.on(REPLICA)


def test_the_replica_is_never_migrated():
    assert ReplicaRouter().allow_migrate(REPLICA, "members") is False
    assert ReplicaRouter().allow_migrate("default", "members") is None


def test_the_activity_report_reads_from_the_replica_and_the_ledger_does_not(client, cast):
    client.force_login(cast.admin)
    with Queries() as q:
        assert client.get(reverse("activity_reports:summary")).status_code == 200
    assert q.on(REPLICA, "members_")  # the report's member rows and totals
    assert not q.on(REPLICA, "accounts_")  # the session's user and the roles: primary
    assert q.on("default", "accounts_roleassignment")

    with Queries() as q:
        assert client.get(reverse("members:list")).status_code == 200
    assert not q.on(REPLICA)  # pages not marked use_replica() never touch it


def test_the_superior_overview_reads_from_the_replica(client, cast):
    viewer = User.objects.create_user(username="viewer", password="Taizhang@2026x")
    RoleAssignment.objects.create(user=viewer, role="superior_viewer", committee=cast.committee)
    client.force_login(viewer)
    with Queries() as q:
        response = client.get(reverse("reports:overview"))
    assert response.status_code == 200
    assert q.on(REPLICA, "members_rosterspell")
    assert not q.on(REPLICA, "accounts_")
