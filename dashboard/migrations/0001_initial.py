"""Snapshots move here from reports, keeping their table (reports_snapshot): the state moves,
no row is copied. Existing installations keep their content type (and the permissions and
log entries that point at it), renamed to this app."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="dashboard", model="snapshot").exists():
        ContentType.objects.filter(app_label="reports", model="snapshot").update(
            app_label="dashboard"
        )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="reports", model="snapshot").exists():
        ContentType.objects.filter(app_label="dashboard", model="snapshot").update(
            app_label="reports"
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0004_changelog_without_fk_checks"),
        ("reports", "0003_staged_rows"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Snapshot",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("metric", models.CharField(max_length=40, verbose_name="指标")),
                        ("date", models.DateField(db_index=True, verbose_name="日期")),
                        ("year", models.PositiveSmallIntegerField(verbose_name="统计年度")),
                        ("value", models.DecimalField(decimal_places=2, max_digits=14, verbose_name="数值")),
                        ("unit", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.orgunit", verbose_name="单位")),
                    ],
                    options={
                        "verbose_name": "指标快照",
                        "verbose_name_plural": "指标快照",
                        "db_table": "reports_snapshot",
                        "ordering": ["date"],
                        "indexes": [models.Index(fields=["metric", "unit", "date"], name="reports_sna_metric_c57724_idx")],
                        "constraints": [models.UniqueConstraint(fields=("unit", "metric", "date"), name="one_snapshot_per_day")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
