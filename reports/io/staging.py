"""Staged upload rows: written when a preview is clean, applied when the district approves the
version, kept after (whatever its review) as the version's own record.

Applying a 20k-row upload is a handful of set-based statements between the staged rows
(UploadRow) and the registry — create the new enterprises, bring the rows' `was_` values up
to date, update the changed year rows, insert the missing ones — instead of 20k model
instances and 20k change-log rows. The rows of a confirmed upload stay: they are that
submission's data and its record of what changed (before/after, per enterprise, shown in the
enterprise's history), the submission itself is in the change log (who, when, counts).
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core.bulk import load_rows
from core.dates import now as portal_now
from core.models import OrgUnit
from enterprises.models import COUNT_FIELDS, Enterprise, EnterpriseYear, TownSpan

from ..choices import JobStatus
from ..models import UploadJob, UploadRow

PREVIEW_DAYS = 7  # an unconfirmed preview's staged rows are dropped after this many days


def stage(job: UploadJob, fields: list[str], rows: Iterable[tuple]) -> None:
    """Store a preview's rows (tuples in `fields` order) for the job, all or none."""
    with transaction.atomic():  # a savepoint: a failure leaves the caller's transaction usable
        discard(job)  # a re-run task
        # After job, row, uscc, name and checksum_ok: the values, numbers as text or None.
        columns = ["job_id", *fields]
        load_rows(UploadRow, columns, ((job.pk, *row) for row in rows), numbers_from=5)


def staged_rows(job_id, codes: list[str]) -> dict[str, tuple[str, dict]]:
    """uscc → (name, {code: text}) of a job's staged rows: a submission's data."""
    found = UploadRow.objects.filter(job_id=job_id).values_list("uscc", "name", *codes)
    return {
        uscc: (name, {code: text_of(v, code) for code, v in zip(codes, values, strict=True)})
        for uscc, name, *values in found
    }


def expire_previews(now: datetime.datetime | None = None) -> int:
    """Drop the staged rows of previews nobody confirmed within PREVIEW_DAYS."""
    cutoff = (now or portal_now()) - datetime.timedelta(days=PREVIEW_DAYS)
    # unscoped: the nightly clean-up covers every unit's previews
    stale = UploadJob.objects.filter(status=JobStatus.READY, created_at__lt=cutoff)  # unscoped: ↑
    ids = list(stale.values_list("pk", flat=True))
    UploadRow.objects.filter(job_id__in=ids)._raw_delete(UploadRow.objects.db)
    return UploadJob.objects.filter(pk__in=ids).update(status=JobStatus.EXPIRED)  # unscoped: ↑


def discard(job: UploadJob) -> None:
    """Drop a job's staged rows: rejected after all, or confirmed without a new version."""
    UploadRow.objects.filter(job=job)._raw_delete(UploadRow.objects.db)


def apply_job(*, job: UploadJob, year: int) -> dict:
    """Write a job's staged rows into the registry (in the caller's transaction): new
    enterprises, then `year`'s indicators of the job's columns. Diffs against the database as
    it is now — a preview that went stale (another version landed first) still writes exactly
    what is needed, and its rows' `was_` values are brought up to date first, so they record
    what this upload changed."""
    codes, unit, now = job.result["codes"], job.unit, portal_now()
    sql = _Sql(job, year, codes, unit)
    if connection.vendor == "postgresql":
        return sql.apply_at_once(now)
    created = sql.create_enterprises(now)
    load_rows(TownSpan, ["enterprise_id", "town_id"], ((pk, unit.pk) for pk in created.values()))
    sql.refresh_was()
    outside = sql.rows_outside_unit()
    if outside:  # raising rolls the whole approval back
        raise ValidationError(
            f"{'、'.join(outside[:5])} 等 {len(outside)} 家企业在报送后已迁出{unit}，"
            "该版本不能写入企业库：请退回，由该单位重新下载模板上传。"
        )
    changed = sql.changed_codes()
    sql.update_years(now)
    sql.insert_years(now)
    staged = UploadRow.objects.filter(job=job).count()
    updated = len(changed - created.keys())
    return {
        "created": len(created),
        "updated": updated,
        "unchanged": staged - len(created) - updated,
        "rows": staged,
    }


class _Sql:
    """The statements between one job's staged rows (s) and the registry (e, y)."""

    def __init__(self, job: UploadJob, year: int, codes: list[str], unit: OrgUnit):
        q = connection.ops.quote_name
        self.year, self.unit = year, unit
        self.job = UploadJob._meta.pk.get_db_prep_value(job.pk, connection)
        self.t = {
            "s": q(UploadRow._meta.db_table),
            "e": q(Enterprise._meta.db_table),
            "y": q(EnterpriseYear._meta.db_table),
        }
        self.cols = [q(c) for c in codes]
        self.was = [q(f"was_{c}") for c in codes]
        # "differs, NULLs included": IS DISTINCT FROM (PostgreSQL), IS NOT (SQLite).
        self.differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
        self.units = list(OrgUnit.objects.in_unit(unit).values_list("pk", flat=True))
        self.in_unit = ", ".join(["%s"] * len(self.units))

    def _run(self, sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql.format(**self.t), params)
            return cursor.fetchall() if cursor.description else []

    def _any_differs(self, left: list[str], a: str, right: list[str], b: str) -> str:
        pairs = zip(left, right, strict=True)
        return "(" + " OR ".join(f"{a}.{x} {self.differs} {b}.{y}" for x, y in pairs) + ")"

    def _staged_in_unit(self) -> tuple[str, list]:
        """FROM … WHERE: the job's staged rows joined to their enterprise in the unit."""
        return (
            "{s} s JOIN {e} e ON e.uscc = s.uscc "
            f"WHERE s.job_id = %s AND e.town_id IN ({self.in_unit})",
            [self.job, *self.units],
        )

    def _new_enterprise(self, now) -> tuple[str, str, list]:
        """(columns, selected, params) of an INSERT … SELECT of new enterprises from staged
        rows `s`: every column the staged row does not give gets the model's default,
        computed once from an unsaved instance."""
        template = Enterprise(town=self.unit, created_at=now, updated_at=now)
        from_staged = {"uscc": "s.uscc", "name": "s.name", "uscc_checksum_ok": "s.checksum_ok"}
        columns, selected, params = [], [], []
        for field in Enterprise._meta.concrete_fields:
            if field.primary_key or not field.column:
                continue
            columns.append(connection.ops.quote_name(field.column))
            if field.name in from_staged:
                selected.append(from_staged[field.name])
            else:
                selected.append("%s")
                params.append(field.get_db_prep_save(getattr(template, field.attname), connection))
        return ", ".join(columns), ", ".join(selected), params

    def apply_at_once(self, now) -> dict:
        """apply_job on PostgreSQL: one statement. The staged rows are matched with their
        enterprise and year row once (`cur`); every write is a CTE reading that match —
        refresh `was_`, create the enterprises (their town spans and year rows from what the
        INSERT returns), update and insert the year rows — all from one snapshot, and none
        of them when a row's enterprise has left the unit (`ok`): that raises instead."""
        new_columns, new_selected, new_params = self._new_enterprise(now)
        cols, was = self.cols, self.was
        current = ", ".join(f"y.{c} AS y_{i}" for i, c in enumerate(cols))
        y_cols = [f"s.y_{i}" for i in range(len(cols))]
        s_cols = [f"s.{c}" for c in cols]

        def differs(left: list[str], right: list[str]) -> str:
            pairs = zip(left, right, strict=True)
            return "(" + " OR ".join(f"{a} IS DISTINCT FROM {b}" for a, b in pairs) + ")"

        some_value = "(" + " OR ".join(f"s.{c} IS NOT NULL" for c in cols) + ")"
        span = connection.ops.quote_name(TownSpan._meta.db_table)
        # `cur` (read as `s` below) = the staged row, its enterprise's id, name and whether
        # it is in the unit, its year row's id and values (y_0 …): read once, by index.
        sql = f"""
        WITH cur AS MATERIALIZED (
            SELECT s.id, s.row, s.uscc, s.name, s.checksum_ok, {", ".join(s_cols + [f"s.{w}" for w in was])},
                   e.id AS eid, e.name AS ename, e.town_id IN ({self.in_unit}) AS mine,
                   CASE WHEN e.id IS NULL THEN nextval(%s) END AS new_id,
                   y.id AS yid, {current}
            FROM {{s}} s
            LEFT JOIN {{e}} e ON e.uscc = s.uscc
            LEFT JOIN {{y}} y ON y.enterprise_id = e.id AND y.year = %s
            WHERE s.job_id = %s
        ),
        ok AS (SELECT NOT EXISTS (SELECT 1 FROM cur WHERE NOT cur.mine) AS ok),
        refreshed AS (
            UPDATE {{s}} AS staged SET {", ".join(f"{w} = {y}" for w, y in zip(was, y_cols, strict=True))}
            FROM cur AS s, ok
            WHERE ok.ok AND staged.id = s.id AND {differs([f"s.{w}" for w in was], y_cols)}
            RETURNING 1
        ),
        created AS (
            INSERT INTO {{e}} (id, {new_columns})
            SELECT s.new_id, {new_selected} FROM cur AS s, ok
            WHERE ok.ok AND s.eid IS NULL
            RETURNING 1
        ),
        spans AS (
            INSERT INTO {span} (enterprise_id, town_id)
            SELECT s.new_id, %s FROM cur AS s, ok WHERE ok.ok AND s.eid IS NULL
            RETURNING 1
        ),
        updated AS (
            UPDATE {{y}} AS y SET {", ".join(f"{c} = s.{c}" for c in cols)}, updated_at = %s
            FROM cur AS s
            WHERE y.id = s.yid AND {differs(y_cols, s_cols)} AND (SELECT ok FROM ok)
            RETURNING 1
        ),
        inserted AS (
            INSERT INTO {{y}} (enterprise_id, year, {", ".join(cols)}, updated_at)
            SELECT coalesce(s.eid, s.new_id), %s, {", ".join(s_cols)}, %s FROM cur AS s, ok
            WHERE ok.ok AND s.yid IS NULL AND {some_value}
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM cur),
               (SELECT count(*) FROM created),
               (SELECT count(*) FROM cur AS s WHERE s.eid IS NOT NULL AND {differs(s_cols, y_cols)}),
               (SELECT count(*) FROM cur WHERE NOT cur.mine),
               ARRAY(SELECT ename FROM cur WHERE NOT cur.mine ORDER BY cur.row LIMIT 5),
               (SELECT count(*) FROM refreshed) + (SELECT count(*) FROM spans)
                 + (SELECT count(*) FROM updated) + (SELECT count(*) FROM inserted)
        """
        # The new enterprises' ids are drawn in `cur`, so their town spans and year rows need
        # no join with what the INSERT returns: the planner cannot see how many rows a CTE
        # holds (nor, before autovacuum, a just-staged job), and a nested loop over two of
        # them — 5 000 × 20 000 — took minutes.
        sequence = self._run("SELECT pg_get_serial_sequence(%s, 'id')", [Enterprise._meta.db_table])
        params = [
            *self.units,
            sequence[0][0],
            self.year,
            self.job,
            *new_params,
            self.unit.pk,
            now,
            self.year,
            now,
        ]
        ((staged, created, updated, outside, names, _),) = self._run(sql, params)
        if outside:  # nothing was written; raising rolls the rest of the approval back
            raise ValidationError(
                f"{'、'.join(names)} 等 {outside} 家企业在报送后已迁出{self.unit}，"
                "该版本不能写入企业库：请退回，由该单位重新下载模板上传。"
            )
        return {
            "created": created,
            "updated": updated,
            "unchanged": staged - created - updated,
            "rows": staged,
        }

    def create_enterprises(self, now) -> dict[str, int]:
        """INSERT … SELECT the staged codes the registry lacks. Returns {uscc: new id}."""
        columns, selected, params = self._new_enterprise(now)
        rows = self._run(
            f"INSERT INTO {{e}} ({columns}) SELECT {selected} FROM {{s}} s "
            "WHERE s.job_id = %s AND NOT EXISTS (SELECT 1 FROM {e} x WHERE x.uscc = s.uscc) "
            "RETURNING uscc, id",
            [*params, self.job],
        )
        return dict(rows)

    def refresh_was(self) -> None:
        """`was_` := the registry's value now, where it moved since the preview (usually not
        one row): the year row changed, or is gone."""
        assign = ", ".join(f"{w} = y.{c}" for w, c in zip(self.was, self.cols, strict=True))
        self._run(
            f"UPDATE {{s}} AS s SET {assign} "
            "FROM {e} e JOIN {y} y ON y.enterprise_id = e.id AND y.year = %s "
            f"WHERE s.job_id = %s AND e.uscc = s.uscc AND e.town_id IN ({self.in_unit}) "
            f"AND {self._any_differs(self.was, 's', self.cols, 'y')}",
            [self.year, self.job, *self.units],
        )
        some_was = " OR ".join(f"s.{w} IS NOT NULL" for w in self.was)
        self._run(
            f"UPDATE {{s}} AS s SET {', '.join(f'{w} = NULL' for w in self.was)} "
            f"WHERE s.job_id = %s AND ({some_was}) AND NOT EXISTS (SELECT 1 FROM {{e}} e "
            "JOIN {y} y ON y.enterprise_id = e.id AND y.year = %s WHERE e.uscc = s.uscc)",
            [self.job, self.year],
        )

    def rows_outside_unit(self) -> list[str]:
        found = self._run(
            "SELECT e.name FROM {s} s JOIN {e} e ON e.uscc = s.uscc "
            f"WHERE s.job_id = %s AND e.town_id NOT IN ({self.in_unit}) ORDER BY s.row",
            [self.job, *self.units],
        )
        return [name for (name,) in found]

    def changed_codes(self) -> set[str]:
        """The staged codes whose values differ from their `was_` values."""
        found = self._run(
            "SELECT s.uscc FROM {s} s WHERE s.job_id = %s AND "
            + self._any_differs(self.cols, "s", self.was, "s"),
            [self.job],
        )
        return {uscc for (uscc,) in found}

    def update_years(self, now) -> None:
        assign = ", ".join(f"{c} = s.{c}" for c in self.cols)
        joined, params = self._staged_in_unit()
        self._run(
            f"UPDATE {{y}} AS y SET {assign}, updated_at = %s FROM {joined} "
            f"AND y.enterprise_id = e.id AND y.year = %s "
            f"AND {self._any_differs(self.cols, 'y', self.cols, 's')}",
            [now, *params, self.year],
        )

    def insert_years(self, now) -> None:
        columns = ", ".join(self.cols)
        staged = ", ".join(f"s.{c}" for c in self.cols)
        some_value = " OR ".join(f"s.{c} IS NOT NULL" for c in self.cols)
        joined, params = self._staged_in_unit()
        self._run(
            f"INSERT INTO {{y}} (enterprise_id, year, {columns}, updated_at) "
            f"SELECT e.id, %s, {staged}, %s FROM {joined} AND ({some_value}) AND NOT EXISTS "
            "(SELECT 1 FROM {y} y WHERE y.enterprise_id = e.id AND y.year = %s)",
            [self.year, now, *params, self.year],
        )


def text_of(value, code: str) -> str | None:
    """A stored indicator as the upload shows it: "12", "1234.50" (SQLite hands back a float
    or an int for a decimal column)."""
    if value is None:
        return None
    if code in COUNT_FIELDS:
        return str(int(value))
    return format(value if isinstance(value, Decimal) else Decimal(repr(value)), ".2f")
