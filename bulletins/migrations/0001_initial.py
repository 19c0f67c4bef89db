"""Bulletins move here from reports, keeping their table (reports_bulletin): the state moves,
no row is copied. Existing installations keep their content type, renamed to this app."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="bulletins", model="bulletin").exists():
        ContentType.objects.filter(app_label="reports", model="bulletin").update(
            app_label="bulletins"
        )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="reports", model="bulletin").exists():
        ContentType.objects.filter(app_label="bulletins", model="bulletin").update(
            app_label="reports"
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0004_changelog_without_fk_checks"),
        ("reports", "0003_staged_rows"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Bulletin",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                        ("as_of", models.DateField(verbose_name="统计日期")),
                        ("title", models.CharField(max_length=200, verbose_name="标题")),
                        ("xlsx", models.FileField(max_length=300, upload_to="bulletins/%Y/", verbose_name="Excel 文件")),
                        ("html", models.TextField(verbose_name="打印版")),
                        ("data", models.JSONField(default=dict, verbose_name="数据")),
                        ("scheduled", models.BooleanField(default=False, verbose_name="定期生成")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="生成时间")),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("unit", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.orgunit", verbose_name="单位")),
                    ],
                    options={
                        "verbose_name": "通报",
                        "verbose_name_plural": "通报",
                        "db_table": "reports_bulletin",
                        "ordering": ["-created_at"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
