"""三员分立 through the API: every endpoint of activities, study, points, imports, care, finance and places —
read from the live OpenAPI schema, so a new endpoint is covered the day it is added — refuses the three admin
posts (403 or 404; 400 or 422 for a body that is refused before anything is looked up) and never answers with a member's
name."""

import datetime
import re

import pytest
from django.utils import timezone

from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.activities.tests.test_content_study import publish
from taizhang.api.api import api as ninja_api
from taizhang.api.tests.helpers import Api
from taizhang.finance.services import campaign_create
from taizhang.points.services import study_record_submit

AREAS = ("activities", "study", "points", "imports", "care", "finance", "places")
ADMIN_POSTS = ["sysadmin", "secadmin", "auditor"]



@pytest.fixture
def ids(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee, day=timezone.localdate() + datetime.timedelta(days=5))
    item = publish(cast, "全体：每月一学")
    today = timezone.localdate()
    campaign = campaign_create(actor=cast.admin, committee=cast.committee, title="助学", purpose="资助",
                               starts_on=today, deadline=today)
    record = study_record_submit(actor=cast.plain_member, member=cast.me, day=today, kind="self_study", title="学习")
    return {"activity_id": activity.pk, "item_id": item.pk, "campaign_id": campaign.pk, "record_id": record.pk,
            "run_id": 1, "signup_id": 1}


def _operations():
    schema = ninja_api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        if path.split("/")[3] not in AREAS:
            continue
        for method in methods:
            yield method, path.removeprefix("/api/v1")


@pytest.mark.parametrize("who", ADMIN_POSTS)
def test_admin_posts_get_nothing_from_any_endpoint(client, cast, ids, who):
    api = Api(client, getattr(cast, who))
    names = [m.name for m in cast.members]
    operations = list(_operations())
    assert len(operations) > 30
    for method, template in operations:
        path = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), template)
        response = api.get(path) if method == "get" else api.post(path, {})
        allowed = (403, 404) if method == "get" else (400, 403, 404, 422)  # 400: e.g. no check-in code
        assert response.status_code in allowed, (method, path, response.status_code, response.content[:200])
        body = response.content.decode()
        assert not any(name in body for name in names), (method, path)
        assert "detail" in response.json()
