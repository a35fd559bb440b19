from django.conf import settings

from taizhang.core.alerts import unread_count
from taizhang.core.permissions import has_capability, is_member_login, roles_of


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    alerts = has_capability(user, "security.alerts")
    member_login, places_manage = is_member_login(user), has_capability(user, "places.manage")
    return {
        # elderly mode (适老化): (option, on, icon) for the navigation bar's buttons
        "display_options": [("large_text", user.large_text, "fonts"), ("high_contrast", user.high_contrast, "circle-half")],
        "user_roles": roles_of(user),
        # the rules' numbers pages show (DOMAIN_RULES; settings read in one place)
        "elderly_age": settings.ELDERLY_AGE,
        "security_alerts_unread": unread_count(user) if alerts else 0,
        "can": {
            "ledger": has_capability(user, "ledger.use"),
            "ledger_export": has_capability(user, "ledger.export"),
            "create_member": has_capability(user, "member.create"),
            "audit": has_capability(user, "audit.view"),
            "users": has_capability(user, "users.manage") or has_capability(user, "roles.manage"),
            "security": has_capability(user, "security.manage"),
            "organisation": has_capability(user, "organisation.manage"),
            "activities": has_capability(user, "activities.manage"),
            "study_publish": has_capability(user, "study.publish"),
            "study_readers": has_capability(user, "study.readers"),
            "points_manage": has_capability(user, "points.manage"),
            "points_approve": has_capability(user, "points.approve"),
            "self_member": member_login,
            "security_alerts": alerts,
            "superior_overview": has_capability(user, "superior.overview"),
            "finance": has_capability(user, "finance.view"),
            "finance_manage": has_capability(user, "finance.manage"),
            "care": has_capability(user, "care.manage"),
            "places": places_manage or member_login,
            "places_manage": places_manage,
            "talks": has_capability(user, "talks.manage"),
            "reports": has_capability(user, "reports.view"),
        },
    }
