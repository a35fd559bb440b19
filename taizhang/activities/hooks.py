"""What other apps may hear from organisational life and study (``taizhang.core.hooks``): points turns
attendance and study reads into entries.

Activities never imports the apps that listen (dependencies point one way: points depends on
activities).
"""

import threading
from contextlib import contextmanager

from taizhang.core.hooks import Hook


class _AttendanceHook(Hook):
    """A hook whose ``send`` is held back inside ``attendance_batch()`` (see there)."""

    def send(self, *, activity, member_ids, actor) -> None:
        member_ids = sorted(set(member_ids))
        if not member_ids:
            return
        pending = getattr(_batch, "pending", None)
        if pending is not None:  # inside attendance_batch(): told once, at its end
            key = (activity.pk, getattr(actor, "pk", None))
            pending.setdefault(key, (activity, actor, set()))[2].update(member_ids)
            return
        super().send(activity=activity, member_ids=member_ids, actor=actor)


attendance_changed = _AttendanceHook("activities.attendance_changed", arguments=("activity", "member_ids", "actor"),
                                     doc="""
The attendance of some members at one activity changed: recorded (a sheet, a leave), a sign-in, a
correction, or the activity was cancelled (its recorded leave and absence no longer count).

Sent by the attendance services in ``activities.services`` after their rows and audit entries are
written, inside their transaction (inside ``attendance_batch()``: once per activity and actor when the
block ends, still in the writer's transaction). ``activity`` is the Activity, ``member_ids`` the sorted
ids of the members whose attendance changed (never empty), ``actor`` the user who changed it.

Listeners are told *which* rows changed, not how: they read the current attendance themselves and must
be idempotent (the same members may be sent again). An exception undoes the attendance change too.
""")

_batch = threading.local()


@contextmanager
def attendance_batch():
    """Bulk path for writers that record one activity's attendance in several calls (the demo load:
    leave before the start, the sheet after it): the listeners hear once per (activity, actor) when the
    block ends, with every member that changed, instead of once per call. Use it inside the writers'
    transaction; the listeners still run in it."""
    if getattr(_batch, "pending", None) is not None:  # nested: the outer batch tells
        yield
        return
    _batch.pending = {}
    try:
        yield
        pending = _batch.pending
    finally:
        _batch.pending = None
    for activity, actor, member_ids in pending.values():  # Hook.send: past the holding back
        Hook.send(attendance_changed, activity=activity, member_ids=sorted(member_ids), actor=actor)


study_item_read = Hook("activities.study_item_read", arguments=("item", "member", "actor"), doc="""
A member has just marked a study item read, for the first time (marking it again sends nothing).

Sent by ``activities.content_services.study_item_mark_read`` after the StudyRead row and its
``study_item.read`` audit entry, inside its transaction. ``item`` is the StudyItem, ``member`` the
reader's Member record, ``actor`` the reader's user.

A listener writes its own rows for this read (points books study points on the item's publication
day); an exception undoes the read too.
""")


activity_panel = Hook("activities.activity_panel", arguments=("activity", "user"), options=("template",), doc="""
A panel on an activity's page that a later app adds (money: the activity's booked costs and a button to
book one): connected with the ``template`` that renders it and a function returning the template's
context, or ``None`` to hide the panel from this viewer.

Collected by ``activities.panels.activity_panels`` while the page is rendered (a read, no transaction).
``activity`` is the Activity (the page has already checked the viewer may open it), ``user`` the viewer.
Panels appear by ``order``.

A panel only reads, with a fixed number of queries, and checks what the viewer may see itself.
""")
