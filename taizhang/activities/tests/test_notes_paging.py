"""The reflections of an activity are paged (issue 10): a committee-wide activity may have one from every
member, so the panel on the activity page shows the newest page with a link on, and the notes page pages
them with the shared pager, at the same cost for more reflections."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.activities import content_views
from taizhang.activities.models import ActivityNote, NoteKind
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


def reflect(cast, activity, member, text):
    # written through the service in the other tests; here only the number of rows matters
    return ActivityNote.objects.create(activity=activity, member=member, kind=NoteKind.REFLECTION, text=text,
                                       written_by=cast.admin)


def test_the_reflections_page_and_the_panel_links_on(client, cast, monkeypatch):
    monkeypatch.setattr(content_views, "NOTES_PAGE_SIZE", 4)
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee)
    for i, member in enumerate(cast.members):
        reflect(cast, activity, member, f"心得{i}")
    client.force_login(cast.admin)
    url = reverse("content:activity_notes", args=[activity.pk])
    panel = client.get(url, HTTP_HX_REQUEST="true")
    assert [n.text for n in panel.context["reflections"]] == ["心得5", "心得4", "心得3", "心得2"]
    assert 'id="all-reflections"' in panel.content.decode() and "<html" not in panel.content.decode()
    second = client.get(url, {"page": 2})
    assert [n.text for n in second.context["reflections"]] == ["心得1", "心得0"]
    assert second.context["reflections_page"].paginator.count == 6 and "page=1" in second.content.decode()


def test_the_notes_panel_costs_the_same_queries_for_more_reflections(client, cast):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee)
    reflect(cast, activity, cast.me, "心得")
    client.force_login(cast.admin)
    url = reverse("content:activity_notes", args=[activity.pk])
    client.get(url, HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as few:
        client.get(url, HTTP_HX_REQUEST="true")
    for i in range(30):
        reflect(cast, activity, make_member(cast.admin, cast.east, name=f"新党员{i}"), f"心得{i}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert len(response.context["reflections"]) == content_views.NOTES_PAGE_SIZE
    assert len(many) <= len(few)
