"""One registration: the form, the ledger import and the demo loader all register through
``services.member_register_many``, so the same person comes out the same whichever way they came in."""

import datetime

import pytest
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from taizhang.core.models import AuditEntry
from taizhang.members import demo, imports, projection, services
from taizhang.members.models import EventKind, FlowEvent, Member, Status
from taizhang.members.tests.factories import citizen_id
from taizhang.members.tests.test_import import source, xlsx_bytes

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(1979, 3, 8)
REGISTERED_ON = datetime.date(2024, 5, 1)
ID_NUMBER = citizen_id(BIRTH, "M")
# Everything the ledger stores about a member that registration sets (ids and clocks aside; the personal
# numbers are encrypted with a fresh nonce each time, so they are compared decrypted).
FIELDS = [name for name in services.member_columns()
          if name not in ("created_at", "updated_at", "current_event_id", "version", "user_id")
          and not name.endswith("_encrypted")] + ["id_number", "phone"]


class _Undo(Exception):
    pass


def _outcome(register) -> dict:
    """Register with ``register()`` and describe what was written, then undo it (a savepoint)."""
    result = {}
    try:
        with transaction.atomic():
            register()
            member = Member.objects.get(name="孙志强")
            event = member.current_event
            result["member"] = {name: getattr(member, name) for name in FIELDS}
            result["tags"] = sorted(t.name for t in member.tags.all())
            result["events"] = list(member.events.values_list(
                "kind", "effective_date", "status_after", "branch_after_id", "from_branch_id", "reason", "details",
                "recorded_by_id", "lost_contact_cause"))
            result["current"] = event.kind
            result["spells"] = [s[1:] for s in projection.stored_spells([member.pk])]
            entries = AuditEntry.objects.filter(
                Q(object_type="members.member", object_id=str(member.pk))
                | Q(object_type="members.flowevent", object_id=str(event.pk)))
            result["audit"] = sorted((e.action, e.actor_id, e.object_repr, e.old_values, e.new_values)
                                     for e in entries)
            raise _Undo
    except _Undo:
        pass
    return result


def test_form_import_and_demo_register_the_same_member(client, cast, tmp_path):
    east, chaoyang = cast.east, cast.committee.districts.get(name="朝阳区")

    def by_form():
        client.force_login(cast.admin)
        response = client.post(reverse("members:create"), {
            "name": "孙志强", "id_number": ID_NUMBER, "phone": "139 1234 5678", "ethnicity": "汉族",
            "membership_type": "full", "join_date": "2003-07-01", "full_membership_date": "2004-07-01",
            "party_age_correction": "0", "category": "working", "is_mobile": "on", "branch": str(east.pk),
            "district": str(chaoyang.pk), "registered_on": REGISTERED_ON.isoformat(), "reported": "on",
        })
        assert response.status_code == 302, response.context["form"].errors

    def by_import():
        row = {"姓名": "孙志强", "公民身份号码": ID_NUMBER, "性别": "男", "出生日期": BIRTH.isoformat(),
               "人员类别": "正式党员", "所在党支部": "东部片区支部", "手机号码": "139 1234 5678",
               "入党日期": "2003-07-01", "转正日期": "2004-07-01", "人员类型": "在京工作定居", "所在区": "朝阳区",
               "登记日期": REGISTERED_ON.isoformat()}
        report = imports.commit(source(tmp_path, xlsx_bytes([row])), user=cast.admin)
        assert report.created == 1, report.errors

    def as_the_demo_does():  # demo.load calls member_register with the data its people carry
        assert demo.member_register is services.member_register
        demo.member_register(actor=cast.admin, registered_on=REGISTERED_ON, reported=True, reason="", data={
            "name": "孙志强", "id_number": ID_NUMBER, "phone": "13912345678", "gender": "M", "birth_date": BIRTH,
            "ethnicity": "汉族", "education": "", "membership_type": "full", "join_date": datetime.date(2003, 7, 1),
            "full_membership_date": datetime.date(2004, 7, 1), "is_mobile": True, "residence": "",
            "district": chaoyang, "household_registration": "", "category": "working", "branch": east,
            "party_group": None, "household": None, "employer": "", "industry": "", "position": "",
            "employment_status": "", "interests": "", "tags": [],
        })

    form, imported, demoed = _outcome(by_form), _outcome(by_import), _outcome(as_the_demo_does)
    assert form["member"]["name_pinyin"] == "sunzhiqiang" and form["member"]["last_contact_date"] == REGISTERED_ON
    assert form["events"] == [(EventKind.REGISTERED, REGISTERED_ON, Status.ACTIVE, east.pk, None, "",
                               {"reported": True}, cast.admin.pk, None)]
    assert [a[0] for a in form["audit"]] == ["flow.registered", "member.create"]
    assert imported == form
    assert demoed == form


def test_registering_many_is_one_transaction_with_bulk_writes(cast, django_assert_max_num_queries):
    east = cast.east

    def data(i):
        birth = datetime.date(1980, 1, 1) + datetime.timedelta(days=i)
        return {"data": {"name": f"新党员{i}", "id_number": citizen_id(birth, "MF"[i % 2]), "phone": "",
                         "membership_type": "full", "join_date": datetime.date(2005, 7, 1),
                         "full_membership_date": datetime.date(2006, 7, 1), "category": "working", "branch": east},
                "registered_on": REGISTERED_ON, "reported": i % 2 == 0}

    with django_assert_max_num_queries(40):
        members = services.member_register_many(actor=cast.admin, rows=[data(i) for i in range(30)])
    assert [m.name for m in members] == [f"新党员{i}" for i in range(30)]
    statuses = dict(FlowEvent.objects.filter(member__in=members).values_list("member__name", "status_after"))
    assert statuses["新党员0"] == Status.ACTIVE and statuses["新党员1"] == Status.AWAITING
    assert AuditEntry.objects.filter(action="member.create", object_id__in=[str(m.pk) for m in members]).count() == 30
    assert projection.stored_spells([m.pk for m in members]) == projection.computed_spells([m.pk for m in members])


def test_registering_many_names_the_row_and_writes_nothing(cast):
    before = Member.objects.count(), AuditEntry.objects.count()
    good = {"name": "新党员", "id_number": citizen_id(datetime.date(1980, 1, 1), "M"), "phone": "",
            "membership_type": "full", "join_date": datetime.date(2005, 7, 1),
            "full_membership_date": datetime.date(2006, 7, 1), "category": "working", "branch": cast.east}
    rows = [{"data": good, "registered_on": REGISTERED_ON},
            {"data": good | {"id_number": citizen_id(datetime.date(1981, 1, 1), "M"),
                             "join_date": timezone.localdate() + datetime.timedelta(days=1)},
             "registered_on": REGISTERED_ON}]
    with pytest.raises(services.ValidationError) as exc:
        services.member_register_many(actor=cast.admin, rows=rows)
    assert exc.value.message_dict["join_date"][0].startswith("第2行")
    twice = [{"data": good, "registered_on": REGISTERED_ON}, {"data": good, "registered_on": REGISTERED_ON}]
    with pytest.raises(services.ValidationError) as exc:
        services.member_register_many(actor=cast.admin, rows=twice)
    assert [m[:3] for m in exc.value.message_dict["id_number"]] == ["第1行", "第2行"]
    assert (Member.objects.count(), AuditEntry.objects.count()) == before
