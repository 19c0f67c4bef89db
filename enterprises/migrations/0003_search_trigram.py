"""Trigram indexes for the list's "name or code contains" search (PostgreSQL only).

Django's icontains/contains become UPPER(name::text) LIKE … and uscc::text LIKE …; these GIN
indexes match those expressions, so a 3+ character search no longer scans every row.
SQLite (the embedded default) has no such index type and needs none at its scale.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS enterprise_name_trgm ON enterprises_enterprise "
    "USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS enterprise_uscc_trgm ON enterprises_enterprise "
    "USING gin ((uscc::text) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS enterprise_name_trgm", "DROP INDEX IF EXISTS enterprise_uscc_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0002_townspan_order")]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
