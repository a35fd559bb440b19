"""The panels later apps add to the member page and the cards they add to the home page
(``members.hooks.member_panel`` / ``home_panel``), ready for the templates."""

from taizhang.members import hooks


def _shown(replies) -> list[dict]:
    return [{"key": listener.key, "template": listener.options["template"], "context": context}
            for listener, context in replies if context is not None]


def member_panels(*, member, user) -> list[dict]:
    """[{"key", "template", "context"}] for the panels this user sees on this member's page."""
    return _shown(hooks.member_panel.collect(member=member, user=user))


def home_panels(*, user) -> list[dict]:
    """[{"key", "template", "context"}] for the cards this user sees on the home page."""
    return _shown(hooks.home_panel.collect(user=user))
