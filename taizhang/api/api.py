"""The ``NinjaAPI`` of /api/v1/ (issue 15): authentication (``auth.py``), the JSON errors (``errors.py``),
the rate limit, the docs page from our own static files, and one router per resource:

    api.add_router("/members/", members_router)

(add a resource's router here, in ``routers/<resource>.py``). Endpoints read and write through the apps'
selectors and services with ``request.auth`` — the calling user — so the scoping and the audit log are the
pages' own."""

from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase
from ninja.renderers import JSONRenderer

from taizhang.api import errors
from taizhang.api.auth import SessionAuth, TokenAuth, TokenRate
from taizhang.api.routers.activities import router as activities_router
from taizhang.api.routers.care import router as care_router
from taizhang.api.routers.finance import router as finance_router
from taizhang.api.routers.flow import router as flow_router
from taizhang.api.routers.imports import router as imports_router
from taizhang.api.routers.members import router as members_router
from taizhang.api.routers.places import router as places_router
from taizhang.api.routers.points import router as points_router
from taizhang.api.routers.reports import router as reports_router
from taizhang.api.routers.roster import router as roster_router
from taizhang.api.routers.study import router as study_router


class LocalSwagger(DocsBase):
    """Swagger UI from ``node_modules/swagger-ui-dist`` (static ``vendor/swagger-ui``), not ninja's CDN, with
    an initializer in our static JS: CSP-clean (no inline script)."""

    def render_page(self, request, api, **kwargs):
        get_token(request)  # the CSRF cookie for "Try it out" with the session
        return render(request, "api/docs.html", {"api": api, "openapi_url": self.get_openapi_url(api, kwargs)})


class ChineseJSONRenderer(JSONRenderer):
    """JSON with Chinese as characters, not \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="台账 API",
    version="1",
    description=str(_("The ledger as data: the same scoping, rules and audit log as the pages. "
                      "Authenticate with a personal access token (Authorization: Bearer <token>) made on "
                      "your account's token page, or with the signed-in session (writes need X-CSRFToken).")),
    urls_namespace="api-v1",
    docs=LocalSwagger(),
    auth=[TokenAuth(), SessionAuth()],
    throttle=[TokenRate()],
    renderer=ChineseJSONRenderer(),
)
errors.register(api)

api.add_router("/members/", members_router)
api.add_router("/members/", flow_router)
api.add_router("/roster/", roster_router)
api.add_router("/activities/", activities_router)
api.add_router("/study/", study_router)
api.add_router("/points/", points_router)
api.add_router("/imports/", imports_router)
api.add_router("/care/", care_router)
api.add_router("/finance/", finance_router)
api.add_router("/places/", places_router)
api.add_router("/reports/", reports_router)
