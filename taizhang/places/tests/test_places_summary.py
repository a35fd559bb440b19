"""``places_summary``: 党员之家 in counts from each area, never a talk's content."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from taizhang.places import talks_services
from taizhang.places.models import Room, TalkKind

SECRET = "家中老人住院需要帮扶"


def _summary(*args) -> str:
    out = StringIO()
    call_command("places_summary", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_summary_counts_each_area_and_holds_no_talk_content(cast):
    empty = json.loads(_summary("--format", "json"))
    assert empty == {"rooms": 0, "bookings_this_month": 0, "loans_out": 0, "overdue": 0, "groups": {},
                     "talks_this_year": 0}
    Room.objects.create(committee=cast.committee, name="党员活动室", place="三楼", capacity=30)
    talks_services.talk_record(actor=cast.admin, committee=cast.committee, held_on=timezone.localdate(),
                               kind=TalkKind.HEART, members=[cast.me], topics=SECRET, content=SECRET)
    data = json.loads(_summary("--format", "json"))
    assert (data["rooms"], data["talks_this_year"]) == (1, 1)
    assert set(data) == set(empty)
    text = _summary()
    assert "1" in text and "谈话" in text
    assert SECRET not in text and SECRET not in json.dumps(data, ensure_ascii=False)
