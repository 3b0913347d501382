"""Beat schedules of the ladder and the outbox (django-celery-beat, editable in the admin)."""

from django.db import migrations

SCHEDULES = (
    # (name, task, crontab fields)
    ("逐级预警督办扫描", "processes.sweep_deadlines", {"minute": "30", "hour": "7"}),
    ("发送待发消息", "notifications.deliver_due", {"minute": "*", "hour": "*"}),
)


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, fields in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai", **fields
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        task__in=[task for _name, task, _f in SCHEDULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("processes", "0008_ladder"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create, remove)]
