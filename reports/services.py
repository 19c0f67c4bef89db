"""Writes for quarterly reporting: periods, reopenings, uploads → submissions, reviews.

An upload is the submission: once its preview is confirmed, every row is applied in one
transaction, a new version is recorded with its file and summary, and the district is told.
"""

import datetime
import gc
import hashlib
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.cache import bump
from core.choices import Action
from core.dates import today
from core.models import OrgUnit, User
from core.notifications import notify, users_of
from core.scoping import ensure_unit_in_scope
from core.services import log_change, snapshot

from . import staging
from .choices import JobStatus, SubmissionStatus
from .models import Reopening, ReportingPeriod, Submission, UploadJob

# --- periods ---------------------------------------------------------------------------------


@transaction.atomic
def open_period(
    *,
    actor: User | None,
    unit: OrgUnit,
    year: int,
    quarter: int,
    window_start: datetime.date,
    deadline: datetime.date,
    lock_days: int = 7,
    columns: list[str] | None = None,
    allow_new: bool = True,
    required_units=None,
    notes: str = "",
) -> ReportingPeriod:
    if actor is not None:
        ensure_unit_in_scope(actor, unit)
    if ReportingPeriod.objects.filter(unit=unit, year=year, quarter=quarter).exists():
        raise ValidationError({"quarter": f"{unit}已开启{year}年第{quarter}季度报送。"})
    period = ReportingPeriod(
        unit=unit,
        year=year,
        quarter=quarter,
        window_start=window_start,
        deadline=deadline,
        lock_days=lock_days,
        columns=columns or [],
        allow_new=allow_new,
        notes=notes,
        created_by=actor,
    )
    period.full_clean()
    period.save()
    required = (
        list(required_units)
        if required_units is not None
        else list(unit.children.filter(is_active=True))
    )
    outside = [u for u in required if not u.path.startswith(unit.path) or u == unit]
    if outside:
        raise ValidationError(
            {"required_units": f"须报送单位必须是{unit}的下级单位：{'、'.join(map(str, outside))}"}
        )
    period.required_units.set(required)
    log_change(
        actor=actor, instance=period, action=Action.CREATE, unit=unit, after=snapshot(period)
    )
    return period


@transaction.atomic
def reopen(
    *,
    actor: User | None,
    period: ReportingPeriod,
    unit: OrgUnit,
    until: datetime.date,
    reason: str = "",
) -> Reopening:
    """Let one town upload again after the lock (or after approval), until a date."""
    if actor is not None:
        ensure_unit_in_scope(actor, period.unit)
    if until < today():
        raise ValidationError({"until": "重新开放截止日期不能早于今天。"})
    reopening = Reopening.objects.create(
        period=period, unit=unit, until=until, reason=reason, created_by=actor
    )
    log_change(
        actor=actor,
        instance=period,
        action=Action.UPDATE,
        unit=period.unit,
        after={"重新开放": f"{unit} 至 {until:%Y-%m-%d}"},
        note=reason,
    )
    notify(
        users_of(unit),
        title=f"{period}报送已为您重新开放",
        body=f"重新开放至 {until:%Y年%m月%d日}。{reason}",
        link=f"/reports/periods/{period.pk}/",
        dedupe=f"reopen:{reopening.pk}",
    )
    return reopening


def latest_submission(period: ReportingPeriod, unit: OrgUnit) -> Submission | None:
    return Submission.objects.filter(period=period, unit=unit).order_by("-version").first()


def upload_refusal(period: ReportingPeriod, unit: OrgUnit, on: datetime.date | None = None) -> str:
    """Why `unit` may not upload for `period` now ("" if it may), in Chinese."""
    on = on or today()
    reopened = period.reopenings.filter(unit=unit, until__gte=on).exists()
    if on < period.window_start:
        return f"{period}报送尚未开始（{period.window_start:%Y年%m月%d日}起）。"
    latest = latest_submission(period, unit)
    if latest and latest.status == SubmissionStatus.APPROVED and not reopened:
        return f"{unit}{period}报送已审核通过并锁定；如需修改，请联系区科技局重新开放。"
    locked_after = period.deadline + datetime.timedelta(days=period.lock_days)
    if on > locked_after and not reopened:
        return (
            f"{period}报送截止日期为 {period.deadline:%Y年%m月%d日}，已于 {locked_after:%Y年%m月%d日} 后锁定，"
            "不能再上传；如需补报，请联系区科技局重新开放。"
        )
    return ""


# --- uploads ---------------------------------------------------------------------------------


def _check_uploader(actor, period: ReportingPeriod, unit: OrgUnit):
    if actor is not None:
        ensure_unit_in_scope(actor, unit)
    if not period.required_units.filter(pk=unit.pk).exists():
        raise PermissionDenied(f"{unit}不在{period}的报送单位名单中。")


@transaction.atomic
def start_upload(
    *, actor: User | None, period: ReportingPeriod, unit: OrgUnit, file_name: str, data: bytes
) -> UploadJob:
    """Check the file, store it, and parse/validate it — in a Celery task for big files."""
    from .upload import UploadRejected, check_file

    _check_uploader(actor, period, unit)
    refusal = upload_refusal(period, unit)
    if refusal:
        raise ValidationError(refusal)
    job = UploadJob(
        period=period,
        unit=unit,
        user=actor,
        file_name=file_name[:255],
        sha256=hashlib.sha256(data).hexdigest(),
    )
    try:
        check_file(file_name, data, max_bytes=settings.UPLOAD_MAX_BYTES)
    except UploadRejected as rejected:  # refused before parsing: the file is not even kept
        job.status, job.result = (
            JobStatus.REJECTED,
            {"problems": [_problem_json(p) for p in rejected.problems]},
        )
        job.save()
        return job
    job.file.save(file_name[-100:], ContentFile(data), save=False)
    job.save()
    if len(data) <= settings.UPLOAD_INLINE_MAX_BYTES:
        process_job(job.pk, progress=False)  # small files: ready when the page loads
    else:
        from .tasks import process_upload

        transaction.on_commit(lambda: process_upload.delay(str(job.pk)))
    job.refresh_from_db()
    return job


def _problem_json(problem) -> dict:
    return {
        "sheet": problem.sheet,
        "row": problem.row,
        "column": problem.column,
        "message": problem.message,
        "text": str(problem),
    }


def process_job(job_id, *, progress: bool = True) -> None:
    """Parse and validate a stored upload; the result is a preview or the list of problems.
    `progress`: record rows read as it goes, for the page polling a background job."""
    from .upload import UploadRejected

    job = UploadJob.objects.select_related("period", "unit", "user").get(pk=job_id)
    UploadJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)

    def report(done, total):
        UploadJob.objects.filter(pk=job.pk).update(progress=done, total=total)

    try:
        with _gc_paused():
            preview = _preview(job, report if progress else None)
        if preview.problems:
            staging.discard(job)  # rows staged before a problem turned up
    except UploadRejected as rejected:
        result, status = (
            {"problems": [_problem_json(p) for p in rejected.problems]},
            JobStatus.REJECTED,
        )
    except Exception as exc:  # an unreadable file must end as a message, never a stuck job
        message = f"文件无法解析（{exc.__class__.__name__}），请确认是用本系统模板填写的 .xlsx 或 .xls 文件。"
        result, status = (
            {
                "problems": [
                    {"sheet": "", "row": None, "column": "", "message": message, "text": message}
                ]
            },
            JobStatus.FAILED,
        )
    else:
        result = {**preview.as_json(), "digest": preview.digest()}
        status = JobStatus.REJECTED if preview.problems else JobStatus.READY
    UploadJob.objects.filter(pk=job.pk).update(status=status, result=result)


def _preview(job: UploadJob, progress):
    """Read, check and stage the job's file (see reports/upload)."""
    from .columns import columns_for
    from .upload import read_upload, validate_upload

    data = job.file.open("rb").read()
    kind = "xls" if job.file_name.lower().endswith(".xls") else "xlsx"
    parsed = read_upload(data, kind, columns=columns_for(job.period.columns), progress=progress)
    return validate_upload(
        parsed,
        period=job.period,
        unit=job.unit,
        user=job.user,
        stage=lambda fields, rows: staging.stage(job, fields, rows),
    )


@contextmanager
def _gc_paused():
    """Parsing makes ~10 objects a row, all alive until the preview is done: Python's cycle
    collector would traverse them again and again (0.1–0.2 s of a 20k-row file) and find
    nothing to free. Collection resumes afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@transaction.atomic
def confirm_upload(*, actor: User | None, job: UploadJob) -> tuple[Submission, bool]:
    """Apply a ready preview: all rows or none. Returns (submission, created a new version?)."""
    # Serialise confirmations of one period: two uploads for the same town end as two
    # consecutive versions (or one, if identical), never a half-applied mix.
    period = ReportingPeriod.objects.select_for_update().get(pk=job.period_id)
    job = UploadJob.objects.select_for_update().get(pk=job.pk)
    _check_uploader(actor, period, job.unit)
    if job.status != JobStatus.READY:
        raise ValidationError("该上传没有可确认的内容（可能已提交，或存在错误）。")
    refusal = upload_refusal(period, job.unit)
    if refusal:
        raise ValidationError(refusal)
    latest = latest_submission(period, job.unit)
    if (
        latest
        and latest.status == SubmissionStatus.SUBMITTED
        and latest.summary.get("digest") == job.result["digest"]
    ):
        staging.discard(job)
        UploadJob.objects.filter(pk=job.pk).update(status=JobStatus.APPLIED)
        return latest, False  # the same content again: idempotent, no new version
    counts = staging.apply_job(job=job, year=period.year)
    transaction.on_commit(bump)
    version = (latest.version if latest else 0) + 1
    submission = Submission(
        period=period,
        unit=job.unit,
        version=version,
        job=job,
        file=job.file.name,  # the upload's stored file is the version's file
        file_name=job.file_name,
        sha256=job.sha256,
        on_time=today() <= period.deadline,
        uploaded_by=actor,
        summary={
            **counts,
            "reported": job.result.get("reported", {}),
            "warnings": job.result["counts"]["warnings"],
            "digest": job.result["digest"],
        },
    )
    submission.save()
    UploadJob.objects.filter(pk=job.pk).update(status=JobStatus.APPLIED)
    log_change(
        actor=actor,
        instance=submission,
        action=Action.CREATE,
        unit=job.unit,
        after={"版本": version, "文件": job.file_name, **counts},
    )
    district_staff = users_of(period.unit, roles=["district_staff"])
    notify(
        district_staff,
        title=f"{job.unit}已报送{period}（第{version}版）",
        body=f"{'按时' if submission.on_time else '逾期'}报送，新增 {counts['created']} 家、更新 {counts['updated']} 家。",
        link=f"/reports/submissions/{submission.pk}/",
        dedupe=f"submitted:{submission.pk}",
    )
    return submission, True


# --- review ----------------------------------------------------------------------------------


@transaction.atomic
def review(
    *, actor: User | None, submission: Submission, approve: bool, comment: str = ""
) -> Submission:
    """Approve (locks the town's data for the period) or return with a comment (the town is told)."""
    if actor is not None:
        ensure_unit_in_scope(actor, submission.period.unit)
        if actor.unit_id == submission.unit_id:
            raise PermissionDenied("不能审核本单位自己的报送。")
    latest = latest_submission(submission.period, submission.unit)
    if latest.pk != submission.pk:
        raise ValidationError(f"只能审核最新版本（第{latest.version}版）。")
    if submission.status != SubmissionStatus.SUBMITTED:
        raise ValidationError(f"该版本已{submission.get_status_display()}，不能重复审核。")
    if not approve and not comment.strip():
        raise ValidationError({"comment": "退回时请填写退回意见，告诉报送单位需要修改什么。"})
    before = snapshot(submission, ["status", "review_comment"])
    submission.status = SubmissionStatus.APPROVED if approve else SubmissionStatus.RETURNED
    submission.review_comment = comment.strip()
    submission.reviewed_by, submission.reviewed_at = actor, timezone.now()
    submission.save(update_fields=["status", "review_comment", "reviewed_by", "reviewed_at"])
    log_change(
        actor=actor,
        instance=submission,
        action=Action.UPDATE,
        unit=submission.unit,
        before=before,
        after=snapshot(submission, ["status", "review_comment"]),
    )
    verb = "已审核通过" if approve else "被退回，请修改后重新上传"
    notify(
        users_of(submission.unit),
        title=f"{submission.period}报送（第{submission.version}版）{verb}",
        body=comment.strip(),
        link=f"/reports/submissions/{submission.pk}/",
        dedupe=f"review:{submission.pk}:{submission.status}",
    )
    return submission
