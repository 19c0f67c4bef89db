"""Turning a stored upload into its preview: read, check and stage its rows (in the request
for a small file, in a Celery task with progress for a big one).

A job's message is acknowledged only when its task ends (acks_late), so a worker killed
mid-job has the job handed out again — and the reaper (fail_stalled_jobs) fails a job nobody
is processing. So process_job may run twice, or two runs may overlap: each run claims the job
(its number is `attempts`) and every write it makes names that number, so a run that was
taken over stops at its next write; staging replaces the job's rows in one transaction, so a
run killed while staging leaves none; a job that is finished (ready, rejected, confirmed,
failed, expired) is left alone.
"""

import datetime
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from core.gc import collector_paused
from core.sheets import FileRejected, Problem

from ..choices import JobStatus
from ..columns import columns_for
from ..models import UploadJob, UploadRow
from . import staging
from .reading import read_upload
from .validation import Preview, validate_upload

# Runs a job may start before it is failed: a file that kills its worker every time (out of
# memory, say) must not be handed from worker to worker for ever.
MAX_ATTEMPTS = 3
UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


class Superseded(Exception):
    """Another run took the job over (a re-delivery, a retry) or the reaper failed it."""


def problem_json(problem: Problem) -> dict[str, Any]:
    return problem.as_json()


def failure(message: str) -> dict[str, Any]:
    """A job's result for a file that could not be processed at all."""
    return {"problems": [problem_json(Problem(message=message))]}


def process_job(job_id: UUID | str, *, progress: bool = True) -> None:
    """Parse and validate a stored upload; the result is a preview or the list of problems.
    `progress`: record rows read as it goes, for the page polling a background job."""
    job = _claim(job_id)
    if job is None:
        return  # finished already, or failed: a re-delivered message changes nothing

    def report(done: int, total: int) -> None:
        _write(job, progress=done, total=total)

    result: dict[str, Any]
    try:
        # 0.1–0.2 s of a 20k-row file went to the collector (core/gc.py)
        with collector_paused():
            preview = _preview(job, report if progress else None)
        if preview.problems:
            staging.discard(job)  # rows staged before a problem turned up
    except Superseded:
        return  # the run that took over writes the result
    except FileRejected as rejected:
        result = {"problems": [problem_json(p) for p in rejected.problems]}
        status = JobStatus.REJECTED
    except Exception as exc:  # an unreadable file must end as a message, never a stuck job
        result = failure(
            f"文件无法解析（{exc.__class__.__name__}），请确认是用本系统模板填写的 .xlsx 或 .xls 文件。"
        )
        status = JobStatus.FAILED
    else:
        result = {**preview.as_json(), "digest": preview.digest()}
        status = JobStatus.REJECTED if preview.problems else JobStatus.READY
    with suppress(Superseded):  # taken over at the last moment: the newer run writes
        _write(job, status=status, result=result)


def _claim(job_id: UUID | str) -> UploadJob | None:
    """Make this run the job's current one; None if there is nothing to do. A running job is
    claimed too: it is a re-delivery (its worker died) or a duplicate, and the newer run
    wins."""
    with transaction.atomic():
        job = (
            UploadJob.objects.select_for_update(of=("self",))  # unscoped: the job's own row
            .select_related("period", "unit", "user")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.status not in UNFINISHED:
            return None
        job.progress_at = timezone.now()
        if job.attempts >= MAX_ATTEMPTS:
            job.status = JobStatus.FAILED
            job.result = failure(
                f"该文件已 {job.attempts} 次使后台处理中断，未能完成检查。"
                "请确认文件是用本系统模板填写的，或将其拆分后重新上传；仍有问题请联系管理员。"
            )
            job.save(update_fields=["status", "result", "progress_at"])
            return None
        job.attempts += 1
        job.status, job.progress, job.total = JobStatus.RUNNING, 0, 0
        job.save(update_fields=["status", "attempts", "progress", "total", "progress_at"])
    return job


def _write(job: UploadJob, **fields: Any) -> None:
    """Write this run's progress or result without saving (and so racing) the rest of the
    job — only while the job is still this run's."""
    updated = UploadJob.objects.filter(  # unscoped: this job's own row
        pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts
    ).update(progress_at=timezone.now(), **fields)
    if not updated:
        raise Superseded(job.pk)


def _stage(job: UploadJob, fields: list[str], rows: Iterable[tuple]) -> None:
    """Staging, in one transaction with a check that the job is still this run's: the check's
    UPDATE locks the job's row until the rows are in, so the reaper or a new run waits for
    this one instead of interleaving with it."""
    with transaction.atomic():
        _write(job)
        staging.stage(job, fields, rows)


def _preview(job: UploadJob, progress: Callable[[int, int], None] | None) -> Preview:
    data = job.file.open("rb").read()
    parsed = read_upload(data, columns=columns_for(job.period.columns), progress=progress)
    return validate_upload(
        parsed,
        period=job.period,
        unit=job.unit,
        user=job.user,
        stage=lambda fields, rows: _stage(job, fields, rows),
    )


def fail_stalled_jobs(*, minutes: int, now: datetime.datetime | None = None) -> int:
    """Fail the jobs that showed no life for `minutes`: a worker died under a running one
    (and its message was not handed out again), or a queued one's message was lost. Their
    staged rows go (they never counted); their page offers 重试. Returns how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(minutes=minutes)
    messages = {
        JobStatus.QUEUED: (
            f"后台处理超过 {minutes} 分钟仍未开始（后台服务可能未运行或已重启）。"
            "文件已保存，没有任何数据被修改：请点击“重试”重新处理；仍不成功请联系管理员。"
        ),
        JobStatus.RUNNING: (
            f"后台处理中断：超过 {minutes} 分钟没有进展（处理进程可能已被终止）。"
            "文件已保存，没有任何数据被修改：请点击“重试”重新处理；仍不成功请联系管理员。"
        ),
    }
    failed = 0
    for status, message in messages.items():
        with transaction.atomic():
            stalled = UploadJob.objects.filter(  # unscoped: the reaper covers every unit's jobs
                status=status, progress_at__lt=cutoff
            )
            ids = list(stalled.select_for_update().values_list("pk", flat=True))
            failed += UploadJob.objects.filter(pk__in=ids).update(  # unscoped: ↑
                status=JobStatus.FAILED, result=failure(message), progress_at=timezone.now()
            )
            UploadRow.objects.filter(job_id__in=ids)._raw_delete(UploadRow.objects.db)
    return failed
