import datetime as dt
import zoneinfo

from django.db import migrations, models


def import_day(apps, schema_editor):
    """Existing plans start on the day they were imported (the only date they knew)."""
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    Plan = apps.get_model("processes", "Plan")
    for plan in Plan.objects.all():
        created = plan.created_at.astimezone(shanghai).date() if plan.created_at else dt.date(plan.year, 1, 1)
        Plan.objects.filter(pk=plan.pk).update(starts_on=created)


class Migration(migrations.Migration):
    dependencies = [("processes", "0017_bulletins")]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="starts_on",
            field=models.DateField(
                null=True,
                verbose_name="starts on",
                help_text="The plan's 印发/实施 date: its items exist, and owe reports, from this day.",
            ),
        ),
        migrations.RunPython(import_day, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="plan",
            name="starts_on",
            field=models.DateField(
                verbose_name="starts on",
                help_text="The plan's 印发/实施 date: its items exist, and owe reports, from this day.",
            ),
        ),
    ]
