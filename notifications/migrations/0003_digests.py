import django.db.models.deletion
from django.db import migrations, models


def notice_to_notices(apps, schema_editor):
    """A message written before digests carried at most one notice: it becomes the message's only one."""
    Message = apps.get_model("notifications", "Message")
    through = Message.notices.through
    through.objects.bulk_create(
        [
            through(message_id=pk, notice_id=notice_id)
            for pk, notice_id in Message.objects.filter(notice__isnull=False).values_list("pk", "notice_id")
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_labels_ladder"),
        ("processes", "0012_sweeps"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="items",
            field=models.PositiveIntegerField(default=1, verbose_name="items"),
        ),
        migrations.AddField(
            model_name="message",
            name="notices",
            field=models.ManyToManyField(
                blank=True, related_name="messages", to="processes.notice", verbose_name="attached notices"
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="rung",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="processes.ladderrung",
                verbose_name="rung",
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="sweep",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="processes.sweep",
                verbose_name="sweep",
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="units",
            field=models.ManyToManyField(
                blank=True, related_name="+", to="processes.unit", verbose_name="units covered"
            ),
        ),
        migrations.RunPython(notice_to_notices, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="message",
            name="notice",
        ),
        migrations.RemoveField(
            model_name="message",
            name="obligation",
        ),
    ]
