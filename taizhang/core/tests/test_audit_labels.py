"""The audit log page names actions, object kinds and values in Chinese; the codes stay for filtering."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from taizhang.core.actions import ACTION_LABELS, action_label
from taizhang.core.audit import audit_log
from taizhang.members.exports import log_export
from taizhang.members.models import EventKind
from taizhang.members.services import member_reveal

ROOT = Path(__file__).resolve().parents[2]


def actions_written_in_the_code() -> set[str]:
    """Every action code a service writes: ``action="x.y"`` literals, the points batches and flow.<kind>."""
    found = set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'\baction="([a-z_]+\.[a-z_.]+)"', text))
        found |= set(re.findall(r'_audit_batch\([^)]*"([a-z_]+\.[a-z_]+)"\)', text))
    found |= {f"flow.{kind}" for kind in EventKind.values}
    return found


def test_every_action_written_anywhere_has_a_label():
    missing = sorted(actions_written_in_the_code() - set(ACTION_LABELS))
    assert missing == []


def test_every_label_is_translated():
    with translation.override("zh-hans"):
        untranslated = [code for code, label in ACTION_LABELS.items() if not re.search(r"[\u4e00-\u9fff]", str(label))]
    assert untranslated == []


@pytest.mark.django_db
def test_the_audit_page_shows_chinese_names_and_keeps_the_codes(client, cast):
    member = cast.east_members[0]
    member_reveal(actor=cast.admin, member_id=member.pk, field="id_number")
    log_export(actor=cast.study, fmt="xlsx", filters={}, rows=3, unmasked=False)
    client.force_login(cast.auditor)  # auth.login
    page = client.get(reverse("core:audit")).content.decode()
    for text in ["登录", "查看完整身份证号", "导出党员台账", "已屏蔽", "登记党员", "党员", "出生日期", "男"]:
        assert text in page, text
    assert 'data-action="member.reveal"' in page and ">member.reveal<" in page  # the code, for filtering
    assert ">members.member " not in page  # the object kind is named, not coded
    # Filtering still works on the codes.
    filtered = client.get(reverse("core:audit"), {"action": "member.reveal"}).content.decode()
    assert "查看完整身份证号" in filtered and "导出党员台账" not in filtered


@pytest.mark.django_db
def test_values_are_shown_masked_as_they_were_written(client, cast):
    member = cast.east_members[0]
    client.force_login(cast.auditor)
    page = client.get(reverse("core:audit"), {"action": "member.create"}).content.decode()
    assert member.id_number_masked in page and member.id_number not in page
    assert member.phone not in page


@pytest.mark.django_db
def test_unknown_codes_are_shown_as_they_are(client, cast):
    audit_log(actor=cast.admin, action="future.thing", object_type="nowhere.nothing", new={"odd_key": "v"})
    client.force_login(cast.auditor)
    page = client.get(reverse("core:audit"), {"action": "future."}).content.decode()
    assert "future.thing" in page and "nowhere.nothing" in page and "odd_key" in page
    assert action_label("future.thing") == "future.thing"
