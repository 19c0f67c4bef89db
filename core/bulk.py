"""Fast bulk inserts: COPY on PostgreSQL, bulk_create elsewhere.

For the big writes — a 20k-row quarterly upload, the scale-data generator — where Django's
per-value preparation costs more than the database does. Rows are tuples in the order of
the given columns (attribute names: `town_id`, not `town`). Values are str, int, Decimal,
bool, date/datetime, dict/list (JSON) or None; nothing is validated here: the caller has
validated, and the database's constraints are the last check.
"""

import io
import json
from collections.abc import Iterable

from django.db import connection

COPY_CHUNK_ROWS = 20_000
ORM_BATCH_ROWS = 2_000

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).translate(_COPY_ESCAPES)
    return str(value)


def load_rows(model, columns: list[str], rows: Iterable[tuple]) -> int:
    """Insert rows (tuples in `columns` order); COPY on PostgreSQL, bulk_create elsewhere."""
    count, chunk = 0, []
    flush = _copy_chunk if connection.vendor == "postgresql" else _orm_chunk
    size = COPY_CHUNK_ROWS if connection.vendor == "postgresql" else ORM_BATCH_ROWS
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            flush(model, columns, chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        flush(model, columns, chunk)
        count += len(chunk)
    return count


def _copy_chunk(model, columns, rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_copy_text, row)))
        buffer.write("\n")
    buffer.seek(0)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)


def _orm_chunk(model, columns, rows) -> None:
    model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
