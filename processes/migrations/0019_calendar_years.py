import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('processes', '0018_plan_starts_on'),
    ]

    operations = [
        migrations.CreateModel(
            name='CalendarYear',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(unique=True, verbose_name='year')),
                ('notice_text', models.TextField(verbose_name='notice text')),
                ('holidays', models.JSONField(default=list, help_text='ISO dates, in order.', verbose_name='days off')),
                ('workdays', models.JSONField(default=list, help_text='ISO dates, in order.', verbose_name='make-up working days')),
                ('confirmed_at', models.DateTimeField(verbose_name='confirmed at')),
                ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='confirmed by')),
            ],
            options={
                'verbose_name': 'holiday arrangements of a year',
                'verbose_name_plural': 'holiday arrangements by year',
                'ordering': ['-year'],
            },
        ),
    ]
