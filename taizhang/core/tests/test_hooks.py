"""The one extension mechanism (``core.hooks``): order, idempotent connection, arguments checked, results
collected, and the listeners of the project's hooks connected once each at start-up."""

import pytest

from taizhang.activities import hooks as activities
from taizhang.core.hooks import Hook
from taizhang.members import hooks as members
from taizhang.organisation import hooks as organisation


def make_hook(**kwargs):
    return Hook("test.thing_done", arguments=("thing", "actor"), doc="A thing was done.", **kwargs)


def test_listeners_run_by_order_then_in_the_order_they_connected():
    hook, heard = make_hook(), []
    hook.connect(lambda *, thing, actor: heard.append(("first", thing)), key="first")
    hook.connect(lambda *, thing, actor: heard.append(("early", thing)), key="early", order=10)
    hook.connect(lambda *, thing, actor: heard.append(("second", thing)), key="second")
    hook.send(thing=1, actor=None)
    assert heard == [("early", 1), ("first", 1), ("second", 1)]


def test_connecting_again_replaces_the_listener_in_its_place():
    hook = make_hook()

    @hook.connect
    def booked(*, thing, actor):
        return "booked"

    hook.connect(booked)  # ready() run twice: still one listener
    hook.connect(lambda *, thing, actor: "other", key="other")
    hook.connect(lambda *, thing, actor: "booked again", key=f"{booked.__module__}.{booked.__qualname__}")
    assert [result for _listener, result in hook.collect(thing=1, actor=None)] == ["booked again", "other"]


def test_collect_returns_each_listeners_result_with_its_options():
    hook = Hook("test.panel", arguments=("user",), options=("template",), doc="A panel.")
    hook.connect(lambda *, user: {"n": user}, key="a", template="a.html")
    hook.connect(lambda *, user: None, key="b", template="b.html")
    assert [(listener.key, listener.options["template"], result) for listener, result in hook.collect(user=3)] == [
        ("a", "a.html", {"n": 3}), ("b", "b.html", None)]


def test_a_listener_exception_reaches_the_sender_and_stops_the_rest():
    hook, heard = make_hook(), []

    def boom(*, thing, actor):
        raise RuntimeError("listener failed")

    hook.connect(boom)
    hook.connect(lambda *, thing, actor: heard.append(thing), key="later")
    with pytest.raises(RuntimeError, match="listener failed"):
        hook.send(thing=1, actor=None)
    assert heard == []


def test_wrong_listeners_and_wrong_calls_are_refused():
    hook = make_hook()
    with pytest.raises(TypeError, match="thing, actor"):
        hook.connect(lambda *, thing: None)  # cannot take actor
    with pytest.raises(TypeError, match="options"):
        hook.connect(lambda *, thing, actor: None, template="x.html")  # this hook has no options
    with pytest.raises(TypeError, match="thing, actor"):
        hook.send(thing=1)
    with pytest.raises(TypeError, match="thing, actor"):
        hook.collect(thing=1, actor=None, extra=2)
    assert hook.collect(thing=1, actor=None) == []



def test_the_apps_connect_their_listeners_once_at_start_up():
    from django.apps import apps

    for config in apps.get_app_configs():  # ready() again changes nothing
        if config.name.startswith("taizhang."):
            config.ready()
    assert [x.key for x in organisation.committee_created.listeners()] == [
        "taizhang.activities.services.seed_new_committee", "taizhang.points.services.seed_new_committee",
        "taizhang.finance.budget.budget_uses_seed"]
    assert [x.key for x in activities.attendance_changed.listeners()] == [
        "taizhang.activities.tally_projection.attendance_changed", "taizhang.points.services.entries_for_attendance"]
    assert [x.key for x in activities.study_item_read.listeners()] == ["taizhang.points.services.entries_for_study_read"]
    assert [x.key for x in members.contact_source.listeners()] == [
        "taizhang.activities.selectors.last_attendance_day", "taizhang.finance.dues.last_dues_payment_day",
        "taizhang.care.selectors.last_visit_day"]
    assert [x.key for x in members.member_panel.listeners()] == [
        "activity_profile", "points", "care", "places_groups", "places.rooms"]
    assert [x.key for x in members.home_panel.listeners()] == [
        "superior_overview", "activities", "study", "points", "care", "places.talks"]
