"""Hash-chain the audit log (taizhang/core/auditchain.py): position, previous hash and own hash on every
entry, chained in the order the existing rows were written, and the chain's head row.

The append-only triggers are dropped while the rows get their hashes (and while SQLite rebuilds the
table, which would drop them anyway) and created again at the end.
"""

import importlib

import django.utils.timezone
from django.db import migrations, models

from taizhang.core.auditchain import chain_existing_rows

triggers = importlib.import_module("taizhang.core.migrations.0002_append_only_triggers")


def unprotect(apps, schema_editor):
    triggers.unprotect(schema_editor, "core_auditentry")


def protect(apps, schema_editor):
    triggers.protect(schema_editor, "core_auditentry")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_append_only_triggers")]

    operations = [
        migrations.RunPython(unprotect, protect),
        migrations.CreateModel(
            name="AuditChain",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField(default=0)),
                ("head_hash", models.CharField(blank=True, default="", max_length=64)),
                ("base_seq", models.BigIntegerField(default=0)),
                ("base_hash", models.CharField(blank=True, default="", max_length=64)),
            ],
            options={"verbose_name": "audit chain head", "verbose_name_plural": "audit chain head"},
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="timestamp",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="time"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True, verbose_name="chain position"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash of the previous entry"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="entry_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash of this entry"),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(editable=False, unique=True, verbose_name="chain position"),
        ),
        migrations.RunPython(protect, unprotect),
    ]
