"""Shared set-up of the rooms tests: a room open every day 08:00–22:00 and times tomorrow."""

import datetime
import sqlite3

import pytest
from django.db import connection
from django.utils import timezone

from taizhang.places import rooms_services as svc

ALL_DAY = {str(d): ["08:00", "22:00"] for d in range(7)}


def make_room(cast, name="党员活动室", **kwargs):
    kwargs.setdefault("hours", ALL_DAY)
    return svc.room_create(actor=cast.admin, committee=cast.committee, name=name, capacity=30, **kwargs)


def at(hour, minute=0, days=1):
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def shared_file_db(transactional_db, cast, tmp_path):
    """On SQLite, move the test database to a file for one test so that threads get real connections that
    wait for each other (``busy_timeout``) as in production: the test suite's in-memory database answers a
    second writer "table is locked" at once instead. The committed cast is copied over; afterwards the
    in-memory database is back. On PostgreSQL nothing changes."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    path = tmp_path / "rooms.sqlite3"
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    memory, settings_dict = connection.connection, connection.settings_dict
    old_name = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)
    connection.connection = None
    try:
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = old_name
        connection.connection = memory
