"""Indexes of the home page and the activity page (issue 10).

* the latest flow events, read backwards: by ``recorded_at`` (today) and by ``effective_date`` (as of a day);
* on PostgreSQL only, a covering index of the members of a committee (``member_roster_cover``): the columns
  the roster counts (branch, category, 60+, no contact), the 应到 reading and the attendance ledger's order
  read from the member, so that they scan this narrow index (an index-only scan) instead of the wide member
  rows (which carry the encrypted numbers). SQLite has no INCLUDE and needs none, so the index is not in the
  model's ``Meta`` (a covering ``Index`` there would warn on SQLite, models.W040).
"""

from django.db import migrations, models

COVER = "member_roster_cover"


def create_cover(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {COVER} ON members_member (committee_id, branch_id, name_pinyin, id) "
            "INCLUDE (category, birth_date, last_contact_date, current_event_id, party_group_id)"
        )


def drop_cover(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {COVER}")


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0010_ledger_sort_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="flowevent",
            index=models.Index(fields=["recorded_at", "id"], name="flow_event_recorded"),
        ),
        migrations.AddIndex(
            model_name="flowevent",
            index=models.Index(fields=["effective_date", "id"], name="flow_event_effective"),
        ),
        migrations.RunPython(create_cover, drop_cover, elidable=False),
    ]
