"""``talks_demo.load_demo``: talks this year and last by the committee secretary and a branch secretary,
each readable by its talkers; loading twice changes nothing. (On top of ``manage.py load_demo``, in a
transaction rolled back at the end: the audit log is append-only.)"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from taizhang.accounts.models import User
from taizhang.members.demo import COMMITTEE_NAME
from taizhang.organisation.models import Committee
from taizhang.places import talks_demo, talks_selectors
from taizhang.places.models.talks import Talk

pytestmark = pytest.mark.django_db


def test_the_demo_talks(django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=StringIO())
        first = talks_demo.load_demo()
        assert talks_demo.load_demo() == first  # idempotent
        committee = Committee.objects.get(name=COMMITTEE_NAME)
        talks = Talk.objects.filter(committee=committee)
        assert first == {"talks": talks.count()} and first["talks"] == 22
        year = timezone.localdate().year
        assert {t.held_on.year for t in talks} == {year - 1, year}
        assert talks_selectors.summary_counts(committee)["talks_this_year"] == 11
        shuji, dongbu = User.objects.get(username="shuji"), User.objects.get(username="dongbu")
        held = {u: talks.filter(talkers=u).count() for u in (shuji, dongbu)}
        assert held == {shuji: 12, dongbu: 10}
        east_talk = talks.filter(talkers=dongbu).first()
        assert talks_selectors.may_read_content(dongbu, east_talk) and east_talk.content
        assert not talks_selectors.may_read_content(User.objects.get(username="xibu"), east_talk)
        assert all(t.held_on <= timezone.localdate() for t in talks)
        transaction.set_rollback(True)
