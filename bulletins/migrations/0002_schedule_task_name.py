"""The monthly 通报 job is the bulletins app's task now: point its schedule at the new name."""

from django.db import migrations

OLD, NEW = "reports.monthly_bulletin", "bulletins.monthly_bulletin"


def rename(apps, schema_editor, old=OLD, new=NEW):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=old).update(task=new)


def restore(apps, schema_editor):
    rename(apps, schema_editor, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("bulletins", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(rename, restore)]
