"""DATABASE_REPLICA_URL (issue 10 scale-out): set, it adds the ``replica`` alias (a TEST MIRROR of default)
and the router; unset, there is one database, no router, and ``use_replica()`` changes nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, router
from django.test.utils import CaptureQueriesContext

from taizhang.core.routers import ReplicaRouter, reading_from_replica, use_replica
from taizhang.organisation.models import Committee

ROOT = Path(__file__).resolve().parents[3]
SHOW = ("import json, config.settings as s; "
        "print(json.dumps({'aliases': sorted(s.DATABASES), 'routers': s.DATABASE_ROUTERS, "
        "'replica': s.DATABASES.get('replica')}, default=str))")


def settings_with(**env_values):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAIZHANG_", "DJANGO_", "DATABASE_", "REDIS_URL"))}
    env.update(env_values)
    result = subprocess.run([sys.executable, "-c", SHOW], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_the_setting_there_is_one_database_and_no_router():
    shown = settings_with()
    assert shown["aliases"] == ["default"]
    assert shown["routers"] == []
    assert shown["replica"] is None


def test_the_setting_adds_the_replica_as_a_test_mirror_with_the_router():
    shown = settings_with(DATABASE_URL="postgres://postgres@127.0.0.1:5432/taizhang",
                          DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:5433/taizhang")
    assert shown["aliases"] == ["default", "replica"]
    assert shown["routers"] == ["taizhang.core.routers.ReplicaRouter"]
    replica = shown["replica"]
    assert (replica["HOST"], replica["PORT"], replica["NAME"]) == ("127.0.0.1", 5433, "taizhang")
    assert replica["TEST"] == {"MIRROR": "default"}  # tests need no second server


@pytest.mark.django_db
def test_use_replica_changes_nothing_without_a_replica(settings):
    assert "replica" not in settings.DATABASES  # the test run's own settings (make test unsets the variable)
    settings.DATABASE_ROUTERS = ["taizhang.core.routers.ReplicaRouter"]  # even with the router installed
    with use_replica():
        assert not reading_from_replica()
        assert router.db_for_read(Committee) == "default"
        with CaptureQueriesContext(connections["default"]) as queries:
            Committee.objects.count()
        assert len(queries) == 1
    assert ReplicaRouter().allow_migrate("default", "members") is None


def test_the_suite_runs_without_a_router():
    assert settings.DATABASE_ROUTERS == []
