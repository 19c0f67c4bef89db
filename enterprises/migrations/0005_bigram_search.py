"""Two-character name search (PostgreSQL only): a GIN index over each name's bigrams.

Chinese users search with two-character fragments ("贵江"); trigram indexes need three.
`htportal_bigrams` lists a text's distinct 2-character pieces; "name contains X" implies
"the name's bigrams contain X's bigrams", which this index answers without a full scan.
"""

from django.db import migrations

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION htportal_bigrams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
        FROM generate_series(1, greatest(length(t) - 1, 0)) AS i
    $$
    """,
    "CREATE INDEX IF NOT EXISTS enterprise_name_bigrams ON enterprises_enterprise "
    "USING gin (htportal_bigrams(UPPER(name::text)))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS enterprise_name_bigrams",
    "DROP FUNCTION IF EXISTS htportal_bigrams(text)",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0004_enterprise_order")]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
