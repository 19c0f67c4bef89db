"""Turning a stored upload into its preview: read, check and stage its rows (in the request
for a small file, in a Celery task with progress for a big one)."""

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from core.sheets import FileRejected, Problem

from ..choices import JobStatus
from ..columns import columns_for
from ..models import UploadJob
from . import staging
from .reading import read_upload
from .validation import Preview, validate_upload


def problem_json(problem: Problem) -> dict[str, Any]:
    return problem.as_json()


def failure(message: str) -> dict[str, Any]:
    """A job's result for a file that could not be processed at all."""
    return {"problems": [problem_json(Problem(message=message))]}


def process_job(job_id: UUID | str, *, progress: bool = True) -> None:
    """Parse and validate a stored upload; the result is a preview or the list of problems.
    `progress`: record rows read as it goes, for the page polling a background job."""
    job = UploadJob.objects.select_related("period", "unit", "user").get(pk=job_id)
    _update(job, status=JobStatus.RUNNING)

    def report(done: int, total: int) -> None:
        _update(job, progress=done, total=total)

    result: dict[str, Any]
    try:
        with _gc_paused():
            preview = _preview(job, report if progress else None)
        if preview.problems:
            staging.discard(job)  # rows staged before a problem turned up
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
    _update(job, status=status, result=result)


def _update(job: UploadJob, **fields: Any) -> None:
    """Write the job's progress without saving (and so racing) the rest of it."""
    UploadJob.objects.filter(pk=job.pk).update(**fields)  # unscoped: this job's own row


def _preview(job: UploadJob, progress: Callable[[int, int], None] | None) -> Preview:
    data = job.file.open("rb").read()
    parsed = read_upload(data, columns=columns_for(job.period.columns), progress=progress)
    return validate_upload(
        parsed,
        period=job.period,
        unit=job.unit,
        user=job.user,
        stage=lambda fields, rows: staging.stage(job, fields, rows),
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
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
