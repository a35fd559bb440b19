"""The Python reading of the activity report's tallies, kept as the tests' oracle: the SQL tallies
(``activities.tallies``) must give what this walk of the roster spells, member by member, gives
(``test_report_tallies``, ``test_expected_scale``). No page uses it."""

import bisect
from collections import defaultdict

from django.db.models import Max
from django.utils import timezone

from taizhang.activities import reports, selectors
from taizhang.activities.models import Attendance, AttendanceStatus
from taizhang.members.models import RosterSpell


def expected_per_member_branch(activities, members, *, recorded: dict | None = None) -> tuple[list, dict]:
    """应到 per member and branch on the day: ([(member pk, branch, number)], expected recorded), where,
    given ``recorded`` ({member pk: [activity pk, …]}), expected recorded is {(activity pk, member pk):
    branch on the day} for those recorded pairs that were expected (else {})."""
    audiences, spans = selectors._expected_spans(activities, members)
    if audiences is None:
        return [], {}
    members_of = {key: {a.pk for a in acts} for key, acts in audiences.activities.items()} if recorded else {}
    counts = defaultdict(int)
    expected_recorded = {}
    for member_id, branch_id, start, end, key, first, last in spans:
        counts[(member_id, branch_id)] += last - first
        for activity_id in (recorded or {}).get(member_id, ()):
            if activity_id in members_of[key] and start <= audiences.by_pk[activity_id].date < end:
                expected_recorded[(activity_id, member_id)] = branch_id
    return [(m, b, n) for (m, b), n in counts.items()], expected_recorded


def compute_participation(activities, members, *, last_attended_until=None) -> tuple[list, dict]:
    """应到 / 实到 / 请假 / 缺席 of ``members`` at ``activities`` (querysets). Fixed number of queries.

    Returns (member rows, {branch id: Tally}); a member's expectations count for the branch they
    belonged to on the activity's day (walk-ins too, when they had a history by then). 应到 comes
    from the shared reading (``expected_per_member_branch``) as counts per member and branch, plus which
    recorded attendances were expected, so the work grows with the members and the records, not
    with members × activities.
    """
    acts = reports._activity_rows(activities)
    by_pk = {a["pk"]: a for a in acts}
    member_rows = list(
        members.order_by().values("pk", "name", "name_pinyin", "committee_id", "party_group_id", "branch__name")
    )
    activity_ids = activities.values("pk")
    member_ids = members.values("pk")
    recorded = {}
    attendance = Attendance.objects.filter(activity_id__in=activity_ids, member_id__in=member_ids)
    for activity_id, member_id, status in attendance.values_list("activity_id", "member_id", "status"):
        recorded[(activity_id, member_id)] = status
    last = {}
    if last_attended_until is not None:
        latest = (
            Attendance.objects.filter(member_id__in=member_ids, status=AttendanceStatus.PRESENT,
                                      # a member attends only their own committee's activities
                                      activity__committee_id__in={m["committee_id"] for m in member_rows},
                                      activity__cancelled=False, activity__starts_at__lte=last_attended_until)
            .order_by().values("member_id").annotate(at=Max("activity__starts_at"))
        )
        last = {member_id: timezone.localdate(at) for member_id, at in latest.values_list("member_id", "at")}

    committee_of = {m["pk"]: m["committee_id"] for m in member_rows}
    rows = {
        m["pk"]: reports.MemberRow(member_id=m["pk"], name=m["name"], name_pinyin=m["name_pinyin"],
                           branch=m["branch__name"] or "", last_attended=last.get(m["pk"]))
        for m in member_rows
    }
    branches = defaultdict(reports.Tally)
    attended = defaultdict(list)  # member -> days present (when the last attendance is not given)
    counts, expected = [], {}
    if acts:
        attending = defaultdict(list)  # member -> activities with a present / leave record
        for (activity_id, member_id), status in recorded.items():
            if status in (AttendanceStatus.PRESENT, AttendanceStatus.LEAVE):
                attending[member_id].append(activity_id)
        counts, expected = expected_per_member_branch(reports._days(acts), members, recorded=attending)
    for member_id, branch_on, n in counts:  # expected: absent until a record says otherwise
        row = rows.get(member_id)
        if row is None:
            continue
        tally = branches[branch_on]
        row.expected += n
        tally.expected += n
        row.absent += n
        tally.absent += n
    for (activity_id, member_id), branch_on in expected.items():
        row = rows.get(member_id)
        if row is None:
            continue
        tally = branches[branch_on]
        row.absent -= 1
        tally.absent -= 1
        if recorded[(activity_id, member_id)] == AttendanceStatus.PRESENT:
            row.present += 1
            tally.present += 1
            row.types[by_pk[activity_id]["activity_type__name"]] += 1
            attended[member_id].append(by_pk[activity_id]["day"])
        else:
            row.leave += 1
            tally.leave += 1
    walk_ins = [
        (activity_id, member_id) for (activity_id, member_id), status in recorded.items()
        if status == AttendanceStatus.PRESENT and (activity_id, member_id) not in expected
        and member_id in rows and committee_of[member_id] == by_pk[activity_id]["committee_id"]
    ]
    if walk_ins:
        spells = defaultdict(list)  # member -> [(from, until, branch)] in order: the branch on a walk-in's day
        for member_id, start, end, branch_id in RosterSpell.objects.filter(
                member_id__in={m for _a, m in walk_ins}).order_by("member_id", "valid_from").values_list(
                "member_id", "valid_from", "valid_to", "branch_id"):
            spells[member_id].append((start, end, branch_id))
        for activity_id, member_id in walk_ins:
            activity, row = by_pk[activity_id], rows[member_id]
            row.extra += 1
            row.types[activity["activity_type__name"]] += 1
            attended[member_id].append(activity["day"])
            own = spells.get(member_id, [])
            index = bisect.bisect_right([start for start, _end, _b in own], activity["day"]) - 1
            if index >= 0 and activity["day"] < own[index][1]:
                branches[own[index][2]].extra += 1
    if last_attended_until is None:
        for member_id, days in attended.items():
            rows[member_id].last_attended = max(days)
    return list(rows.values()), branches
