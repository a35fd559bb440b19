"""Flow events are append-only too: the database refuses UPDATE and DELETE on them."""

import importlib

from django.db import migrations

triggers = importlib.import_module("taizhang.core.migrations.0002_append_only_triggers")


def forwards(apps, schema_editor):
    triggers.protect(schema_editor, "members_flowevent")


def backwards(apps, schema_editor):
    triggers.unprotect(schema_editor, "members_flowevent")


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial"), ("core", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
