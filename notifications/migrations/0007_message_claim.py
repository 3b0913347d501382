"""An attempt to send a message claims its row (``sending_since``) and fixes the email's Message-ID (``message_id``),
so an attempt a crash interrupted is taken again after a lease and sent with the same Message-ID."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0006_heartbeat'),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='message_id',
            field=models.CharField(blank=True, max_length=255, verbose_name='Message-ID'),
        ),
        migrations.AddField(
            model_name='message',
            name='sending_since',
            field=models.DateTimeField(blank=True, null=True, verbose_name='attempt started at'),
        ),
    ]
