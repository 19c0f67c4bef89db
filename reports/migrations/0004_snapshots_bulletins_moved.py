"""Snapshots and bulletins now belong to the dashboard and bulletins apps, whose first
migrations took over their tables: here reports forgets them (state only, no table dropped).

The daily reminder job now covers reporting only (deadlines and overdue); certificate expiry
and 年报 reminders are the cultivation app's own job. The existing schedule is renamed to say
so (its time and any edits stay)."""

from django.db import migrations

OLD_NAME, NEW_NAME = "每日提醒（报送/到期/年报）", "每日提醒（报送截止/逾期）"


def rename_schedule(apps, schema_editor, old=OLD_NAME, new=NEW_NAME):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if not PeriodicTask.objects.filter(name=new).exists():
        PeriodicTask.objects.filter(name=old).update(name=new)


def restore_schedule(apps, schema_editor):
    rename_schedule(apps, schema_editor, NEW_NAME, OLD_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_staged_rows"),
        ("dashboard", "0001_initial"),
        ("bulletins", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Snapshot"),
                migrations.DeleteModel(name="Bulletin"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_schedule, restore_schedule),
    ]
