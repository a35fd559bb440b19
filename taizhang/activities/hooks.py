"""Listeners other apps register to hear about attendance changes (points turns attendance into entries).

Activities never imports the apps that listen (dependencies point one way: points depends on
activities). Listeners run inside the writing service's transaction, so a failing listener undoes the
attendance change too, and they must be idempotent: they are told *which* rows changed and read the
current state themselves.
"""

import threading
from collections.abc import Callable
from contextlib import contextmanager

_attendance_listeners: list[Callable] = []
_batch = threading.local()


def register_attendance_listener(listener: Callable) -> Callable:
    """``listener(*, activity, member_ids, actor)``: attendance of these members at ``activity`` changed."""
    if listener not in _attendance_listeners:
        _attendance_listeners.append(listener)
    return listener


def attendance_changed(*, activity, member_ids, actor) -> None:
    member_ids = sorted(set(member_ids))
    if not member_ids:
        return
    pending = getattr(_batch, "pending", None)
    if pending is not None:  # inside attendance_batch(): told once, at its end
        pending.setdefault((activity.pk, getattr(actor, "pk", None)), (activity, actor, set()))[2].update(member_ids)
        return
    for listener in _attendance_listeners:
        listener(activity=activity, member_ids=member_ids, actor=actor)


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
    for activity, actor, member_ids in pending.values():
        for listener in _attendance_listeners:
            listener(activity=activity, member_ids=sorted(member_ids), actor=actor)


_study_read_listeners: list[Callable] = []


def register_study_read_listener(listener: Callable) -> Callable:
    """``listener(*, item, member, actor)``: ``member`` has just marked study item ``item`` read (once)."""
    if listener not in _study_read_listeners:
        _study_read_listeners.append(listener)
    return listener


def study_item_read(*, item, member, actor) -> None:
    for listener in _study_read_listeners:
        listener(item=item, member=member, actor=actor)
