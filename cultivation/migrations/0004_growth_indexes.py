"""Covering indexes for the point-in-time counts (cultivation.selectors: count_by_child,
metric_counts, application_outcomes), so a unit's counts scale with its subtree rather than
with the whole database: the subtree's spans are read per town from an index alone, and each
enterprise is probed index-only against the metric's rows (certificate dates, application
year/status/kind, pool year; a 科小 evaluation's (enterprise, year) is already covered by the
one_evaluation_per_year constraint). (year, enterprise_id) on the 科小 evaluations lets a
whole-province count read one year's ids without touching the 3.7M-row table.

Plain SQL (PostgreSQL only, where they pay: INCLUDE, large datasets) because one index is on
another app's table (enterprises.TownSpan) and the models do not declare them.
"""

from django.db import migrations

INDEXES = [
    (
        "enterprises_townspan_town_ent_cover",
        'enterprises_townspan (town_id, enterprise_id) INCLUDE (start, "end")',
    ),
    (
        "cultivation_certificate_ent_valid_cover",
        "cultivation_certificate (enterprise_id) INCLUDE (issued_on, expires_on, revoked_on)",
    ),
    (
        "cultivation_application_ent_cover",
        "cultivation_application (enterprise_id) INCLUDE (year, status, kind)",
    ),
    ("cultivation_poolmembership_ent_year", "cultivation_poolmembership (enterprise_id, year)"),
    ("cultivation_techsme_year_ent", "cultivation_techsmeevaluation (year, enterprise_id)"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, on in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("cultivation", "0003_prediagnosis"),
        ("enterprises", "0007_portal_clock"),
    ]

    operations = [migrations.RunPython(create, drop)]
