"""An export imports back with zero changes (issue: ledger import and export, "round trip")."""

import datetime
import io

import pytest
from django.urls import reverse

from taizhang.members import imports
from taizhang.members.models import Member
from taizhang.members.services import flow_record_event, household_create, member_update, note_add, tag_get_or_create
from taizhang.members.tests.factories import make_member, update_data

pytestmark = pytest.mark.django_db


def _enrich(cast):
    """Give the cast the kinds of values that are easy to lose: tags, notes, formulas, statuses."""
    member = cast.members_by_name["王建国"]
    tags = [tag_get_or_create(actor=cast.admin, committee=cast.committee, name=n) for n in ("书画爱好者", "志愿者骨干")]
    member_update(actor=cast.admin, member=member, expected_version=Member.objects.get(pk=member.pk).version,
                  data=update_data(Member.objects.get(pk=member.pk), employer="=HYPERLINK(\"http://x\")", industry="-2",
                                   position="+1 组长", residence="@朝阳区", tags=tags, interests="书法"))
    note_add(actor=cast.admin, member=member, noted_on=datetime.date(2024, 5, 1), text="积极参加志愿服务")
    household_create(actor=cast.admin, committee=cast.committee, name="李秀英家")
    flow_record_event(actor=cast.admin, member=cast.members_by_name["赵丽华"], kind="lost_contact",
                      effective_date=datetime.date(2024, 1, 1), lost_contact_cause=5)
    make_member(cast.admin, cast.central, membership_type="probationary", full_membership_date=None,
                join_date=datetime.date(2025, 12, 1), birth_date=datetime.date(1999, 9, 9), category="stationed")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_unchanged(client, cast, fmt):
    _enrich(cast)
    client.force_login(cast.admin)
    response = client.get(reverse(f"members:export_{fmt}"), {"status": "all"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    source = imports.Source(lambda: io.BytesIO(content), f"台账.{fmt}")

    report = imports.check(source, user=cast.admin)
    assert report.file_error == ""
    assert report.unknown_columns == []
    assert report.errors == [], report.errors
    changed = [row for row in report.display if row.get("action") != imports.UNCHANGED]
    assert report.counts() == {"rows": Member.objects.count(), "created": 0, "updated": 0,
                               "unchanged": Member.objects.count(), "errors": 0}, changed
