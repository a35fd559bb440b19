"""Panels later apps add to the member page (activity profile, points …).

The ledger never imports those apps (dependencies point one way). An app registers a panel in its
``AppConfig.ready()``: a template and a function that builds its context for one member and viewer.
The function returns None to hide the panel (e.g. the viewer may not see it). Each panel must use a
fixed number of queries, whatever the member's history.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MemberPanel:
    key: str
    template: str
    context: Callable  # context(*, member, user) -> dict | None
    order: int = 100


_panels: dict[str, MemberPanel] = {}


def register_member_panel(*, key: str, template: str, context: Callable, order: int = 100) -> None:
    _panels[key] = MemberPanel(key, template, context, order)


def member_panels(*, member, user) -> list[dict]:
    """[{"key", "template", "context"}] for the panels this user sees on this member's page."""
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        context = panel.context(member=member, user=user)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, "context": context})
    return shown


_home_panels: dict[str, MemberPanel] = {}


def register_home_panel(*, key: str, template: str, context: Callable, order: int = 100) -> None:
    """A panel on the home page: ``context(*, user) -> dict | None`` (None hides it for this user)."""
    _home_panels[key] = MemberPanel(key, template, context, order)


def home_panels(*, user) -> list[dict]:
    shown = []
    for panel in sorted(_home_panels.values(), key=lambda p: (p.order, p.key)):
        context = panel.context(user=user)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, "context": context})
    return shown
