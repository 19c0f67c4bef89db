"""core.bulk.load_rows: what goes in comes back out, COPY (PostgreSQL) or bulk_create (SQLite)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.bulk import load_rows
from core.choices import Action
from core.models import ChangeLog
from reports.models import ReportingPeriod, UploadJob, UploadRow

pytestmark = pytest.mark.django_db

AWKWARD = "制表\t换行\n回车\r反斜杠\\N 结尾\\"


def test_text_json_nulls_and_times_survive(units):
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(ChangeLog)
    rows = [
        (now, None, AWKWARD, content_type.pk, "copy-test", "", Action.IMPORT, units["湖塘镇"].pk,
         {"名称": AWKWARD, "空": None}, None, "\\N"),
    ]  # fmt: skip
    columns = ["created_at", "actor_id", "actor_name", "content_type_id", "object_id"]
    columns += ["object_repr", "action", "unit_id", "before", "after", "note"]
    assert load_rows(ChangeLog, columns, rows) == 1
    entry = ChangeLog.objects.get(object_id="copy-test")
    assert entry.created_at == now and entry.actor_id is None
    assert entry.actor_name == AWKWARD and entry.object_repr == "" and entry.note == "\\N"
    assert entry.action == Action.IMPORT and entry.unit == units["湖塘镇"]
    assert entry.before == {"名称": AWKWARD, "空": None} and entry.after is None


def test_uuids_booleans_decimals_and_counts_survive(units):
    period = ReportingPeriod.objects.create(
        unit=units["武进区"],
        year=2019,
        quarter=1,
        window_start=datetime.date(2019, 4, 1),
        deadline=datetime.date(2019, 4, 15),
    )
    job = UploadJob.objects.create(period=period, unit=units["湖塘镇"], file_name="x.xlsx")
    columns = ["job_id", "row", "uscc", "name", "checksum_ok", "staff_total", "sales_revenue"]
    rows = [
        (job.pk, 3, "A" * 18, "甲", False, 12, Decimal("-1234.50")),
        (job.pk, 4, "B" * 18, "", True, None, "0.00"),
    ]
    assert load_rows(UploadRow, columns, rows) == 2
    found = UploadRow.objects.filter(job=job).order_by("row")
    assert list(found.values_list(*columns[1:])) == [
        (3, "A" * 18, "甲", False, 12, Decimal("-1234.50")),
        (4, "B" * 18, "", True, None, Decimal("0.00")),
    ]


def test_number_columns_go_as_they_are_in_any_form(units):
    # numbers_from: the staged upload's values — canonical texts, or the demo's ints and
    # Decimals, or None — after columns that still need escaping.
    period = ReportingPeriod.objects.create(
        unit=units["武进区"],
        year=2019,
        quarter=1,
        window_start=datetime.date(2019, 4, 1),
        deadline=datetime.date(2019, 4, 15),
    )
    job = UploadJob.objects.create(period=period, unit=units["湖塘镇"], file_name="x.xlsx")
    columns = ["job_id", "row", "uscc", "name", "checksum_ok", "staff_total", "sales_revenue"]
    rows = [
        (job.pk, 3, "A" * 18, AWKWARD, False, "12", "-1234.50"),
        (job.pk, 4, "B" * 18, "", True, None, Decimal("0.00")),
        (job.pk, 5, "C" * 18, "乙", True, 7, None),
    ]
    assert load_rows(UploadRow, columns, rows, numbers_from=5) == 3
    found = UploadRow.objects.filter(job=job).order_by("row")
    assert list(found.values_list(*columns[1:])) == [
        (3, "A" * 18, AWKWARD, False, 12, Decimal("-1234.50")),
        (4, "B" * 18, "", True, None, Decimal("0.00")),
        (5, "C" * 18, "乙", True, 7, None),
    ]
