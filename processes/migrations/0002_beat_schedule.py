"""The periodic jobs of this app, stored with django-celery-beat so that the office can see and change them in the
admin. Created once; a later edit in the admin is never overwritten."""

from django.db import migrations

PURGE_TASK = "processes.purge_import_staging"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name="清理未确认的计划导入文件",
        defaults={"task": PURGE_TASK, "crontab": nightly, "kwargs": '{"max_age_hours": 24}'},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=PURGE_TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("processes", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
