from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    """党员之家 (issue 13): the rooms and their bookings, the reading corner, the archive corner, the talk
    corner's heart-to-heart talks, and the interest groups with their contests.

    One app because the seed describes one place with four corners and the groups that meet there, and
    ``places_summary`` reports on all of it. Each area keeps its own modules (``rooms_*``, ``groups_*``,
    ``talks_*``) and its models in ``models/<area>.py``."""

    name = "taizhang.places"
    label = "places"
    verbose_name = _("Party members' home")

    def ready(self):
        from taizhang.activities import hooks as activities
        from taizhang.members import hooks as members
        from taizhang.places import groups_selectors, rooms_selectors, talks_selectors

        # groups area: a member's groups and contest results on their page; an activity's group and contest
        members.member_panel.connect(groups_selectors.member_panel, key="places_groups", order=50,
                                     template="places/groups/panels/member.html")
        activities.activity_panel.connect(groups_selectors.activity_panel, key="places_groups", order=50,
                                          template="places/groups/panels/activity.html")
        # talks area: a home card for those who hold talks (follow-ups due)
        members.home_panel.connect(talks_selectors.home_panel, key="places.talks", order=60,
                                   template="places/talks/panels/home.html")
        # rooms area: the member's archive documents and borrowed books, for those who may edit the member
        members.member_panel.connect(rooms_selectors.member_panel, key="places.rooms", order=60,
                                     template="places/rooms/panels/member.html")
