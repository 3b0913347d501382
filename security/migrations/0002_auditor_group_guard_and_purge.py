"""The security auditor's group (安全审计员: may read the audit log, nothing else), the database's refusal of
changes to the audit log, and the nightly purge of events past their retention."""

from django.db import migrations

AUDITOR_GROUP = "安全审计员"
PURGE_NAME, PURGE_TASK = "安全审计日志清理", "security.purge_audit_events"

POSTGRES_GUARD = """
CREATE OR REPLACE FUNCTION security_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('security.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'security_auditevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER security_auditevent_append_only BEFORE UPDATE OR DELETE ON security_auditevent
    FOR EACH ROW EXECUTE FUNCTION security_auditevent_append_only();
"""
POSTGRES_UNGUARD = """
DROP TRIGGER IF EXISTS security_auditevent_append_only ON security_auditevent;
DROP FUNCTION IF EXISTS security_auditevent_append_only();
"""
# SQLite has no session setting to let the purge through: there the database refuses updates only.
SQLITE_GUARD = """
CREATE TRIGGER security_auditevent_no_update BEFORE UPDATE ON security_auditevent
BEGIN SELECT RAISE(ABORT, 'security_auditevent is append-only: UPDATE refused'); END;
"""
SQLITE_UNGUARD = "DROP TRIGGER IF EXISTS security_auditevent_no_update;"


def create_group(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="security", model="auditevent")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="view_auditevent", defaults={"name": "Can view security audit event"}
    )
    group, _ = Group.objects.get_or_create(name=AUDITOR_GROUP)
    group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=AUDITOR_GROUP).delete()


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_GUARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_GUARD)


def unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UNGUARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UNGUARD)


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="20", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(name=PURGE_NAME, defaults={"task": PURGE_TASK, "crontab": crontab})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=PURGE_TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_group, remove_group),
        migrations.RunPython(guard, unguard),
        migrations.RunPython(schedule, unschedule),
    ]
