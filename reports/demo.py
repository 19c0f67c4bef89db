"""Demo quarterly reporting for 2019.

Q1 (due 2019-04-15): every town reported, two late; most approved, one returned and
re-submitted. Q2 (due 2019-07-15, the demo's "today"): six towns in, five missing. The
figures are year-to-date 2019 values derived from each enterprise's 2018 indicators.
"""

import datetime
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from core.demo import wujin_unit
from enterprises.models import EnterpriseYear

from .choices import JobStatus, SubmissionStatus
from .columns import DEFAULT_COLUMNS
from .io.staging import apply_job, stage
from .io.template import build_template
from .io.validation import staged_fields
from .models import ReportingPeriod, Submission, UploadJob
from .services import open_period

D = datetime.date
PERIODS = [(1, D(2019, 4, 1), D(2019, 4, 15)), (2, D(2019, 7, 1), D(2019, 7, 15))]
# Units by their short name (as the notice lists them).
LATE_Q1 = {"嘉泽", "湟里"}
RETURNED_Q1 = "洛阳"
PENDING_Q1 = "湟里"
REPORTED_Q2 = {"高新区", "西太湖", "湖塘", "牛塘", "前黄", "常经开"}
APPROVED_Q2 = {"高新区", "常经开"}
# 科创项目招引 (a "reported" metric): year-to-date figures the parks report.
PROJECTS = {"高新区": 8, "西太湖": 5, "常经开": 7}


CODES = list(DEFAULT_COLUMNS)


def _rows(unit, quarter: int, rng: random.Random) -> list[tuple]:
    """Year-to-date 2019 values: a quarter's share of 2018, with some growth; staged rows."""
    share = Decimal(quarter) / 4
    rows = []
    last_year = EnterpriseYear.objects.filter(enterprise__town=unit, year=2018).select_related(
        "enterprise"
    )
    for number, row in enumerate(last_year.order_by("enterprise__name"), start=2):
        growth = Decimal(str(round(rng.uniform(0.95, 1.25), 2)))
        values = {
            "staff_total": row.staff_total,
            "st_staff": row.st_staff,
            "sales_revenue": (row.sales_revenue * share * growth).quantize(Decimal("0.01")),
            "rd_expense": (row.rd_expense * share * growth).quantize(Decimal("0.01")),
            "hightech_revenue": (row.hightech_revenue * share * growth).quantize(Decimal("0.01")),
        }
        rows.append(
            (number, row.enterprise.uscc, row.enterprise.name, True, *(values[c] for c in CODES))
            + (None,) * len(CODES)  # was_: refreshed from the registry when applied
        )
    return rows


def _submit(period, unit, quarter, version, *, late, status, rng, comment=""):
    """As if the town had uploaded its template: a job with staged rows; written to the
    registry only if the district approved it."""
    reported = (
        {"projects_attracted": str(PROJECTS[unit.label] * quarter)}
        if unit.label in PROJECTS
        else {}
    )
    name = f"{period.code}_{unit.label}.xlsx"
    job = UploadJob(
        period=period,
        unit=unit,
        file_name=name,
        status=JobStatus.APPLIED,
        result={"codes": CODES, "reported": reported},
    )
    job.file.save(name, ContentFile(build_template(period=period, unit=unit)), save=False)
    job.save()
    rows = _rows(unit, quarter, rng)
    stage(job, staged_fields(CODES), rows)
    counts = {"created": 0, "updated": len(rows), "unchanged": 0, "rows": len(rows)}
    applied = {}
    if status == SubmissionStatus.APPROVED:
        applied = {"applied": apply_job(job=job, year=period.year)}
    submission = Submission.objects.create(
        period=period,
        unit=unit,
        version=version,
        status=status,
        job=job,
        file=job.file.name,
        file_name=name,
        sha256="",
        on_time=not late,
        summary={**counts, **applied, "reported": reported, "warnings": 0},
        review_comment=comment,
    )
    uploaded = period.deadline + datetime.timedelta(days=3 if late else -rng.randint(1, 10))
    reviewed = (
        uploaded + datetime.timedelta(days=2) if status != SubmissionStatus.SUBMITTED else None
    )
    Submission.objects.filter(pk=submission.pk).update(
        uploaded_at=_at(uploaded),
        reviewed_at=_at(reviewed) if reviewed else None,
        applied_at=_at(reviewed) if applied and reviewed else None,
    )


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def load(stdout) -> None:
    district = wujin_unit("武进区")
    if ReportingPeriod.objects.filter(unit=district, year=2019).exists():
        stdout.write("季度报送：演示期次已存在，跳过")
        return
    rng = random.Random(2019)
    q1, q2 = (
        open_period(
            actor=None,
            unit=district,
            year=2019,
            quarter=q,
            window_start=start,
            deadline=end,
            columns=list(DEFAULT_COLUMNS),
            notes="演示数据",
        )
        for q, start, end in PERIODS
    )
    for unit in district.children.order_by("order"):
        late = unit.label in LATE_Q1
        if unit.label == RETURNED_Q1:
            _submit(
                q1,
                unit,
                1,
                1,
                late=late,
                status=SubmissionStatus.RETURNED,
                rng=rng,
                comment="研发费用明显偏低，请核实后重新上传。",
            )
            _submit(q1, unit, 1, 2, late=True, status=SubmissionStatus.APPROVED, rng=rng)
        else:
            status = (
                SubmissionStatus.SUBMITTED
                if unit.label == PENDING_Q1
                else SubmissionStatus.APPROVED
            )
            _submit(q1, unit, 1, 1, late=late, status=status, rng=rng)
        if unit.label in REPORTED_Q2:
            status = (
                SubmissionStatus.APPROVED
                if unit.label in APPROVED_Q2
                else SubmissionStatus.SUBMITTED
            )
            _submit(q2, unit, 2, 1, late=False, status=status, rng=rng)
    stdout.write(f"季度报送：新建 2019年第1、2季度报送期次及 {Submission.objects.count()} 份报送")
