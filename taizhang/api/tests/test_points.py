"""Points through the API with the fixed cast: entries and participation scoped, study records submitted and
decided through the services (audited), the external score import's two phases, error JSON, flat queries."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from taizhang.api.tests.helpers import Api, assert_flat_queries
from taizhang.core.models import AuditEntry
from taizhang.points.models import ExternalScore, PointEntry, StudyRecord
from taizhang.points.services import point_adjustment_create, study_record_submit
from taizhang.points.tests.helpers import seed_rules

DAY = datetime.date(2026, 6, 12)


@pytest.fixture
def rules(cast):
    return seed_rules(cast)


def _record(cast, member, user, title="学习党章"):
    return study_record_submit(actor=user, member=member, day=DAY, kind="self_study", title=title)


def test_entries_of_oneself_and_of_members_in_scope(client, cast, rules):
    point_adjustment_create(actor=cast.admin, member=cast.me, points=3, day=DAY, reason="补录")
    mine = Api(client, cast.plain_member).get("/points/entries", {"year": 2026})
    assert mine.status_code == 200, mine.content
    body = mine.json()
    assert body["member"]["id"] == cast.me.pk and body["entries_total"] == 3 and body["count"] == 1
    assert body["total"] == body["baseline"] + 3
    east = Api(client, cast.east_secretary)
    assert east.get("/points/entries", {"member": cast.me.pk, "year": 2026}).json()["count"] == 1
    assert east.get("/points/entries", {"member": cast.west_members[0].pk}).status_code == 404
    assert Api(client, cast.plain_member).get("/points/entries", {"member": cast.east_members[1].pk}).status_code == 404


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor"])
def test_admin_posts_see_no_points(client, cast, rules, who):
    api = Api(client, getattr(cast, who))
    assert api.get("/points/entries").status_code == 403
    assert api.get("/points/entries", {"member": cast.me.pk}).status_code == 404
    assert api.get("/points/participation").status_code == 403
    assert api.get("/points/approvals").status_code == 403
    assert api.get("/points/imports").status_code == 403


def test_participation_is_scoped(client, cast, rules):
    east = Api(client, cast.east_secretary).get("/points/participation")
    assert east.status_code == 200, east.content
    names = {r["member"]["name"] for r in east.json()["results"]}
    assert names == {m.name for m in cast.east_members}
    admin = Api(client, cast.admin).get("/points/participation", {"year": 2026}).json()
    assert admin["count"] == 6 and admin["date_from"] == "2026-01-01"
    assert {b["name"] for b in admin["branches"]} == {cast.east.name, cast.west.name, cast.central.name}
    bad = Api(client, cast.admin).get("/points/participation", {"date_from": "2026-05-01"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "date_to"


def test_study_record_submit_and_decide(client, cast, rules):
    member_api = Api(client, cast.plain_member)
    created = member_api.post("/points/records", {"day": "2026-06-01", "kind": "self_study", "title": "学习党章"})
    assert created.status_code == 201, created.content
    record_id = created.json()["id"]
    assert AuditEntry.objects.filter(action="points.study_record_submit", actor=cast.plain_member).exists()
    assert member_api.get("/points/records").json()["count"] == 1
    # the service's checks, in Chinese, by field
    bad = member_api.post("/points/records", {"day": "2026-06-01", "kind": "volunteer", "title": " "})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"title", "hours"}
    # the west secretary neither sees nor decides an east member's record
    west = Api(client, cast.west_secretary)
    assert record_id not in {r["id"] for r in west.get("/points/approvals").json()["results"]}
    assert west.post(f"/points/approvals/{record_id}/approve", {}).status_code == 404
    east = Api(client, cast.east_secretary)
    assert record_id in {r["id"] for r in east.get("/points/approvals").json()["results"]}
    reject = east.post(f"/points/approvals/{record_id}/reject", {"note": ""})
    assert reject.status_code == 400 and reject.json()["errors"][0]["field"] == "note"
    approved = east.post(f"/points/approvals/{record_id}/approve", {"note": "好"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert AuditEntry.objects.filter(action="points.study_record_approve", actor=cast.east_secretary).exists()
    again = east.post(f"/points/approvals/{record_id}/approve", {})
    assert again.status_code == 400 and again.json()["detail"]
    # the member cannot decide on their own record, nor read-only tokens write
    own = _record(cast, cast.me, cast.plain_member, "自学")
    assert Api(client, cast.plain_member).post(f"/points/approvals/{own.pk}/approve").status_code == 403
    assert Api(client, cast.east_secretary, read_only=True).post(
        f"/points/approvals/{own.pk}/approve").status_code == 403
    assert StudyRecord.objects.get(pk=own.pk).status == "pending"


def _upload(api, text, name="scores.csv"):
    data = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return api.client.post("/api/v1/points/imports", {"file": data}, headers=api._headers())


def test_external_scores_import_two_phases(client, cast, rules):
    me, west = cast.me, cast.west_members[0]
    text = ("姓名,身份证号,手机号,平台,周期,得分\n"
            f"{me.name},{me.id_number},,学习强国,2026-10,1234\n"
            f"{west.name},,{west.phone},灯塔-党建在线,2026年,88.5\n"
            f"{me.name},{me.id_number},,微信,2026-13,abc\n")
    admin = Api(client, cast.admin)
    checked = _upload(admin, text)
    assert checked.status_code == 200, checked.content
    body = checked.json()
    assert body["ok_count"] == 2 and body["error_count"] == 1 and body["upload"]
    assert {e["column"] for e in body["rows"][2]["errors"]} == {"平台", "周期", "得分"}
    assert not ExternalScore.objects.exists()
    # someone else cannot commit this upload
    assert Api(client, cast.east_secretary).post("/points/imports/commit", {"upload": body["upload"]}).status_code == 403
    assert admin.post("/points/imports/commit", {"upload": "forged"}).status_code == 400
    done = admin.post("/points/imports/commit", {"upload": body["upload"]})
    assert done.status_code == 200, done.content
    assert done.json()["import_id"] and ExternalScore.objects.count() == 2
    assert AuditEntry.objects.filter(action="points.external_scores_import").exists()
    assert admin.post("/points/imports/commit", {"upload": body["upload"]}).status_code == 400  # file gone
    assert admin.get("/points/imports").json()["count"] == 1
    wrong = _upload(admin, "x", name="scores.txt")
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "file"


def test_list_queries_do_not_grow_with_page_size(client, cast, rules):
    for n in range(3):
        point_adjustment_create(actor=cast.admin, member=cast.me, points=n + 1, day=DAY, reason=f"补录{n}")
        _record(cast, cast.east_members[1], cast.admin, f"学习{n}")
    assert PointEntry.objects.filter(member=cast.me).count() == 3
    assert_flat_queries(Api(client, cast.plain_member), "/points/entries", params={"year": 2026}, sizes=(1, 3))
    assert_flat_queries(Api(client, cast.east_secretary), "/points/approvals", sizes=(1, 3))
    assert_flat_queries(Api(client, cast.admin), "/points/participation", sizes=(1, 6))


def test_bodies_are_read_as_the_schema_says(client, cast, rules):
    """What the OpenAPI schema calls wrong is a 422, not quietly converted (found by schemathesis)."""
    record = _record(cast, cast.me, cast.plain_member)
    east = Api(client, cast.east_secretary)
    listed = east.client.post(f"/api/v1/points/approvals/{record.pk}/approve", [None, None],
                              content_type="application/json", headers=east._headers())
    assert listed.status_code == 422
    assert StudyRecord.objects.get(pk=record.pk).status == "pending"
    member = Api(client, cast.plain_member)
    assert member.post("/points/records", {"day": 0, "title": "学习"}).status_code == 422
    assert member.post("/points/records", {"day": "2026-06-01", "title": "学习", "hours": "1.5"}).status_code == 422
    assert member.post("/points/records", {"day": "2026-06-01", "title": "学习", "hours": ""}).status_code == 422
    ok = member.post("/points/records", {"day": "2026-06-01", "kind": "volunteer", "title": "志愿", "hours": 1.5})
    assert ok.status_code == 201 and ok.json()["hours"] in ("1.5", 1.5)
