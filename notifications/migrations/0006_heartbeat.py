"""The heartbeat table and its beat schedule: every minute beat sends ``notifications.heartbeat`` and a worker
records it, so ``/healthz`` and the office's pages can tell whether beat and the worker run."""

from django.db import migrations, models

TASK = "notifications.heartbeat"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(name="后台运行心跳", defaults={"task": TASK, "interval": every_minute})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_digest_told"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="Heartbeat",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name="process")),
                ("at", models.DateTimeField(verbose_name="last seen")),
                ("detail", models.JSONField(blank=True, default=dict, verbose_name="detail")),
            ],
            options={"verbose_name": "heartbeat", "verbose_name_plural": "heartbeats"},
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
