import datetime

from django.db import migrations

# 《关于中国共产党党费收缴、使用和管理的规定》(2008): the default dues table (DOMAIN_RULES "Dues").
TABLE_2008 = [
    ("employed", 300_000, 50), ("employed", 500_000, 100), ("employed", 1_000_000, 150), ("employed", None, 200),
    ("retired", 500_000, 50), ("retired", None, 100),
]


def seed(apps, schema_editor):
    DuesBracket = apps.get_model("finance", "DuesBracket")
    day = datetime.date(2008, 4, 1)
    for kind, up_to, rate in TABLE_2008:
        DuesBracket.objects.get_or_create(effective_from=day, kind=kind, up_to_fen=up_to, defaults={"rate_bp": rate})


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_party_dues")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
