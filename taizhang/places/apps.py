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
        from taizhang.members import hooks as members
        from taizhang.places import rooms_selectors

        # rooms area: the member's archive documents and borrowed books, for those who may edit the member
        members.member_panel.connect(rooms_selectors.member_panel, key="places.rooms", order=60,
                                     template="places/rooms/panels/member.html")
