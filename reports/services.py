"""Writes for quarterly reporting: periods, reopenings, uploads → submissions, reviews.

An upload is the submission: once its preview is confirmed, every row is applied in one
transaction, a new version is recorded with its file and summary, and the district is told.
The file's way to its preview is in reports/io.
"""

import datetime
import hashlib
import logging
import re
from dataclasses import dataclass, field
from functools import partial
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.cache import bump
from core.changelog import log_change, snapshot
from core.choices import Action, Role
from core.dates import now, today
from core.models import OrgUnit, User
from core.notifications import chinese_date, notify, users_of
from core.scoping import ensure_unit_in_scope
from core.sheets import FileRejected, check_file

from . import selectors, tasks
from .choices import JobStatus, SubmissionStatus
from .io import staging
from .io.policy import check_uploader, upload_refusal
from .io.processing import failure, problem_json, process_job
from .models import Reopening, ReportingPeriod, Submission, UploadJob
from .selectors import latest_submission

log = logging.getLogger(__name__)

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
        link=reverse("reports:period", args=[period.pk]),
        dedupe=f"reopen:{reopening.pk}",
    )
    return reopening


@dataclass
class Reminders:
    """What 提醒未报送单位 did, unit by unit (the page says it)."""

    reminded: list[OrgUnit] = field(default_factory=list)  # told now
    already: list[OrgUnit] = field(default_factory=list)  # reminded today already
    locked: list[OrgUnit] = field(default_factory=list)  # may not upload now: reopen first
    unreachable: list[OrgUnit] = field(default_factory=list)  # no active user to tell

    @property
    def missing(self) -> int:
        return len(self.reminded) + len(self.already) + len(self.locked) + len(self.unreachable)

    def message(self) -> str:
        if not self.missing:
            return "所有单位均已报送，无需提醒。"
        parts = []
        if self.reminded:
            parts.append(f"已提醒 {len(self.reminded)} 个未报送单位：{_names(self.reminded)}")
        else:
            parts.append(f"没有发送新的提醒（{self.missing} 个单位未报送）")
        if self.already:
            parts.append(f"{_names(self.already)}今天已收到提醒，未重复发送")
        if self.locked:
            parts.append(f"{_names(self.locked)}报送已锁定，请先重新开放")
        if self.unreachable:
            parts.append(f"{_names(self.unreachable)}没有可接收通知的账号，请电话联系")
        return "；".join(parts) + "。"


def _names(units: list[OrgUnit]) -> str:
    return "、".join(u.notice_name for u in units)


@transaction.atomic
def remind_missing(*, actor: User | None, period: ReportingPeriod) -> Reminders:
    """提醒未报送单位: tell the units that have not submitted, now. A unit is reminded at most
    once a day — by this or by the daily job (tasks.send_deadline_reminders), whichever comes
    first — so pressing twice, or the job running after, sends no second copy; a unit that
    may not upload (locked, not reopened) is not told to."""
    if actor is not None:
        ensure_unit_in_scope(actor, period.unit)
    on = today()
    if on < period.window_start:
        raise ValidationError(
            f"{period}报送尚未开始（{chinese_date(period.window_start)}起），开始后才能提醒。"
        )
    units = (
        selectors.visible_required_units(period, actor)
        if actor is not None
        else period.required_units.order_by("order")
    )
    already = selectors.reminded_on(period, on)
    left = (period.deadline - on).days
    deadline = chinese_date(period.deadline)
    when = (
        f"请于{deadline}前上传（还剩 {left} 天）"
        if left > 0
        else f"今天（{deadline}）截止，请今天上传"
        if left == 0
        else f"报送已于{deadline}截止，请尽快补报"
    )
    link = reverse("reports:period", args=[period.pk])
    done = Reminders()
    title = f"{period.unit}科技局提醒：请报送{period}数据"
    for unit in selectors.missing_units(period, units):
        if upload_refusal(period, unit, on):
            done.locked.append(unit)
            continue
        if unit.pk in already:
            done.already.append(unit)
            continue
        recipients = list(users_of(unit))
        if not recipients:
            done.unreachable.append(unit)
            continue
        key = selectors.manual_reminder_key(period, unit, on)
        body = (
            f"{unit}尚未报送{period.unit}{period}数据，{when}。请下载预填模板，在 Excel 或 WPS "
            "中填写后上传；上传即完成报送。"
        )
        sent = notify(recipients, title=title, body=body, link=link, dedupe=key)
        # Nothing sent: a second press at the same moment got there first.
        (done.reminded if sent else done.already).append(unit)
    log.info("reminders for %s by %s: %s", period.code, actor, done.message())
    return done


# --- uploads ---------------------------------------------------------------------------------


@transaction.atomic
def start_upload(
    *,
    actor: User | None,
    period: ReportingPeriod,
    unit: OrgUnit,
    file_name: str,
    data: bytes,
    inline: bool = False,
) -> UploadJob:
    """Check the file, store it, and parse/validate it — in a Celery task for big files,
    unless `inline` (the shell's import_quarterly waits for it anyway)."""
    check_uploader(actor, period, unit)
    refusal = upload_refusal(period, unit)
    if refusal:
        raise ValidationError(refusal)
    job = UploadJob(
        period=period,
        unit=unit,
        user=actor,
        file_name=display_name(file_name, UploadJob._meta.get_field("file_name").max_length),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    try:
        check_file(file_name, data, max_bytes=settings.UPLOAD_MAX_BYTES)
    except FileRejected as rejected:  # refused before parsing: the file is not even kept
        job.status = JobStatus.REJECTED
        job.result = {"problems": [problem_json(p) for p in rejected.problems]}
        job.save()
        return job
    job.file.save(storage_name(job.pk, file_name), ContentFile(data), save=False)
    job.save()
    _process(job, size=len(data), inline=inline)
    return job


def storage_name(job_id: UUID, file_name: str) -> str:
    """The name a job's file is stored under: its id and the original extension. The
    uploader's name can be any length and any script (a clerk's 120-character Chinese title
    is 360 bytes; a disk allows 255): it lives on in file_name."""
    suffix = re.search(r"\.[A-Za-z0-9]{1,8}$", file_name)
    return job_id.hex + (suffix.group().lower() if suffix else "")


def display_name(file_name: str, limit: int | None) -> str:
    """The uploader's name as far as the column holds it, extension kept (downloads use it)."""
    if limit is None or len(file_name) <= limit:
        return file_name
    suffix = re.search(r"\.[A-Za-z0-9]{1,8}$", file_name)
    ext = suffix.group() if suffix else ""
    return file_name[: limit - len(ext)] + ext


def _process(job: UploadJob, *, size: int, inline: bool) -> None:
    if inline or size <= settings.UPLOAD_INLINE_MAX_BYTES:
        process_job(job.pk, progress=False)  # small files: ready when the page loads
        job.refresh_from_db()
    else:  # the task must see the committed job
        transaction.on_commit(partial(_dispatch, job.pk, size))


def _dispatch(job_id: UUID, size: int) -> None:
    """Hand a big upload to a worker. With the broker unreachable nothing would ever pick the
    job up, so it must not stay `queued`: a file the request can still afford to parse
    (UPLOAD_BROKER_DOWN_MAX_BYTES) is parsed here — a slow page, the same result — and a
    bigger one fails at once, saying so; its page's 重试 tries the worker again."""
    try:
        tasks.process_upload.delay(str(job_id))
    except Exception as exc:  # kombu's OperationalError, mostly: whatever it is, no worker has it
        log.warning("upload %s: broker unavailable (%r)", job_id, exc)
        if size <= settings.UPLOAD_BROKER_DOWN_MAX_BYTES:
            process_job(job_id, progress=False)
            return
        message = (
            f"后台处理服务暂时不可用，文件较大（{size / 1024 / 1024:.1f} MB），无法在页面中直接检查。"
            "文件已保存，没有任何数据被修改：请稍后点击“重试”；仍不成功请联系管理员。"
        )
        UploadJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(  # unscoped: its own
            status=JobStatus.FAILED, result=failure(message), progress_at=timezone.now()
        )


@transaction.atomic
def retry_upload(*, actor: User | None, job: UploadJob) -> UploadJob:
    """Process a failed upload's kept file again — its worker died, the broker was down — as
    if it had just been uploaded (same checks of who and when)."""
    job = (
        UploadJob.objects.select_for_update(of=("self",))  # unscoped: the caller scoped it
        .select_related("period", "unit")
        .get(pk=job.pk)
    )
    check_uploader(actor, job.period, job.unit)
    if not job.can_retry:
        raise ValidationError(f"只有处理失败的上传可以重试（该上传：{job.get_status_display()}）。")
    refusal = upload_refusal(job.period, job.unit)
    if refusal:
        raise ValidationError(refusal)
    if not job.file.storage.exists(job.file.name or ""):
        raise ValidationError("该上传的文件已不在服务器上，请重新上传。")
    staging.discard(job)  # whatever a dead run left behind
    job.status, job.progress, job.total, job.attempts = JobStatus.QUEUED, 0, 0, 0
    job.result, job.progress_at = {}, timezone.now()
    job.save(update_fields=["status", "progress", "total", "attempts", "result", "progress_at"])
    _process(job, size=job.file.size, inline=False)
    return job


@transaction.atomic
def confirm_upload(
    *, actor: User | None, job: UploadJob, acknowledged: bool = False
) -> tuple[Submission, bool]:
    """Make a ready preview the unit's new version, 待审核: nothing is written to the registry
    until the district approves it (review). A pending earlier version is replaced by it.
    Returns (submission, created a new version?). Plausibility alerts (提醒) must have been
    acknowledged by the uploader."""
    # Serialise confirmations of one period: two uploads for the same town end as two
    # consecutive versions (or one, if identical), never a mix.
    period = ReportingPeriod.objects.select_for_update().get(pk=job.period_id)
    job = UploadJob.objects.select_for_update().get(pk=job.pk)
    check_uploader(actor, period, job.unit)
    if job.status != JobStatus.READY:
        raise ValidationError("该上传没有可确认的内容（可能已提交，或存在错误）。")
    refusal = upload_refusal(period, job.unit)
    if refusal:
        raise ValidationError(refusal)
    alerts = job.result.get("alerts", [])
    if alerts and not acknowledged:
        raise ValidationError(
            {"acknowledged": f"请先核对并确认 {len(alerts)} 条数据提醒，再报送。"}
        )
    latest = latest_submission(period, job.unit)
    if (
        latest
        and latest.status == SubmissionStatus.SUBMITTED
        and latest.summary.get("digest") == job.result["digest"]
    ):
        staging.discard(job)
        UploadJob.objects.filter(pk=job.pk).update(status=JobStatus.APPLIED)
        return latest, False  # the same content again: idempotent, no new version
    if latest and latest.status == SubmissionStatus.SUBMITTED:
        _replace(actor, latest)
    counts = {key: job.result["counts"][key] for key in ("created", "updated", "unchanged")}
    version = (latest.version if latest else 0) + 1
    submission = Submission.objects.create(
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
            "rows": sum(counts.values()),
            "reported": job.result.get("reported", {}),
            "warnings": job.result["counts"]["warnings"],
            "alerts": alerts,  # acknowledged by the uploader; the reviewer sees them
            "digest": job.result["digest"],
        },
    )
    UploadJob.objects.filter(pk=job.pk).update(status=JobStatus.APPLIED)
    log_change(
        actor=actor,
        instance=submission,
        action=Action.CREATE,
        unit=job.unit,
        after={"版本": version, "文件": job.file_name, "状态": "待审核", **counts},
    )
    notify(
        users_of(period.unit, roles=[Role.DISTRICT_STAFF]),
        title=f"{job.unit}已报送{period}（第{version}版），待审核",
        body=(
            f"{'按时' if submission.on_time else '逾期'}报送：新增 {counts['created']} 家、"
            f"更新 {counts['updated']} 家"
            + (f"，数据提醒 {len(alerts)} 条" if alerts else "")
            + "。审核通过后数据才写入企业库。"
        ),
        link=reverse("reports:submission", args=[submission.pk]),
        dedupe=f"submitted:{submission.pk}",
    )
    return submission, True


def _replace(actor: User | None, pending: Submission) -> None:
    """A new version came before the district reviewed this one: it never counts."""
    before = snapshot(pending, ["status"])
    pending.status = SubmissionStatus.REPLACED
    pending.save(update_fields=["status"])
    log_change(
        actor=actor,
        instance=pending,
        action=Action.UPDATE,
        unit=pending.unit,
        before=before,
        after=snapshot(pending, ["status"]),
        note="已有新版本",
    )


# --- review ----------------------------------------------------------------------------------


@transaction.atomic
def review(
    *, actor: User | None, submission: Submission, approve: bool, comment: str = ""
) -> Submission:
    """Approve — its values are written to the registry now, all or none, and the town's
    data for the period lock — or return with a comment (the town is told; nothing of the
    version counts)."""
    if actor is not None:
        ensure_unit_in_scope(actor, submission.period.unit)
        if actor.unit_id == submission.unit_id:
            raise PermissionDenied("不能审核本单位自己的报送。")
    period = ReportingPeriod.objects.select_for_update().get(pk=submission.period_id)
    # of=self: PostgreSQL cannot lock the nullable side (job) of the outer join
    submission = (
        Submission.objects.select_for_update(of=("self",))
        .select_related("job", "unit")
        .get(pk=submission.pk)
    )
    latest = latest_submission(period, submission.unit)
    assert latest is not None  # this submission is one of the unit's versions
    if latest.pk != submission.pk:
        raise ValidationError(f"只能审核最新版本（第{latest.version}版）。")
    if submission.status != SubmissionStatus.SUBMITTED:
        # The label says 已… itself (已退回, 已审核通过): no prefix of our own ("已已退回").
        raise ValidationError(f"该版本{submission.get_status_display()}，不能重复审核。")
    if not approve and not comment.strip():
        raise ValidationError({"comment": "退回时请填写退回意见，告诉报送单位需要修改什么。"})
    before = snapshot(submission, ["status", "review_comment"])
    submission.status = SubmissionStatus.APPROVED if approve else SubmissionStatus.RETURNED
    submission.review_comment = comment.strip()
    submission.reviewed_by, submission.reviewed_at = actor, now()
    fields = ["status", "review_comment", "reviewed_by", "reviewed_at"]
    if approve and submission.job is not None:  # raises, and rolls back, if it cannot apply
        submission.summary = {**submission.summary, "applied": apply(submission, period.year)}
        submission.applied_at = submission.reviewed_at
        fields += ["summary", "applied_at"]
    submission.save(update_fields=fields)
    log_change(
        actor=actor,
        instance=submission,
        action=Action.UPDATE,
        unit=submission.unit,
        before=before,
        after=snapshot(submission, ["status", "review_comment"]),
    )
    verb = "已审核通过，数据已写入企业库" if approve else "被退回，请修改后重新上传"
    notify(
        users_of(submission.unit),
        title=f"{submission.period}报送（第{submission.version}版）{verb}",
        body=comment.strip(),
        link=reverse("reports:submission", args=[submission.pk]),
        dedupe=f"review:{submission.pk}:{submission.status}",
    )
    return submission


def apply(submission: Submission, year: int) -> dict:
    """Write an approved version's staged rows into the registry (set-based, reports/io/
    staging): new enterprises, then the year's indicators. Returns what it did."""
    assert submission.job is not None
    counts = staging.apply_job(job=submission.job, year=year)
    # The registry moved under this town (and every unit above it): what is cached from it
    # there recomputes; the other towns' figures stay cached.
    units = submission.unit.lineage_ids
    transaction.on_commit(lambda: bump(domains=["enterprises"], units=units))
    return counts
