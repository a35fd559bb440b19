"""The study read tallies (``activities.study_tallies``): where each read counts (the branch of its member's open
roster spell while on the roster) and the per item × branch counts, filled from the reads and the spells."""

import datetime

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery

OPEN_END = datetime.date(9999, 12, 31)
ROSTER_STATUSES = ["awaiting", "active", "outflow", "lost", "suspended"]


def fill(apps, schema_editor):
    StudyRead = apps.get_model("activities", "StudyRead")
    StudyReadTally = apps.get_model("activities", "StudyReadTally")
    RosterSpell = apps.get_model("members", "RosterSpell")
    branch = RosterSpell.objects.filter(member_id=OuterRef("member_id"), valid_to=OPEN_END,
                                        status__in=ROSTER_STATUSES).values("branch_id")[:1]
    StudyRead.objects.update(counted_branch_id=Subquery(branch))
    rows = (StudyRead.objects.filter(counted_branch__isnull=False).order_by()
            .values_list("item_id", "counted_branch_id").annotate(n=Count("pk")))
    StudyReadTally.objects.bulk_create([StudyReadTally(item_id=i, branch_id=b, read=n) for i, b, n in rows],
                                       batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0003_attendance_walk_in'),
        ('organisation', '0002_superior_committee_superior'),
        ('members', '0012_roster_generation'),
    ]

    operations = [
        migrations.AddField(
            model_name='studyread',
            name='counted_branch',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organisation.branch', verbose_name='counted in branch'),
        ),
        migrations.CreateModel(
            name='StudyReadTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('read', models.IntegerField(default=0, verbose_name='members who read')),
                ('branch', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organisation.branch', verbose_name='branch')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='activities.studyitem', verbose_name='study item')),
            ],
            options={
                'verbose_name': 'study read tally',
                'verbose_name_plural': 'study read tallies',
                'constraints': [models.UniqueConstraint(fields=('item', 'branch'), name='study_read_tally_once')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
