"""A job a worker died under: processing runs twice safely, the reaper fails what nobody
processes, and the job page's 重试 processes the kept file again. (The real worker killed
with SIGKILL is in test_worker_killed.py, on the PostgreSQL + Redis leg.)"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from htportal.celery import app as celery_app
from reports import services, tasks
from reports.choices import JobStatus
from reports.io import processing
from reports.io.template import build_template
from reports.models import UploadJob, UploadRow
from tests.reports import period  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(period, units, registry, hutang, settings):  # noqa: F811
    """upload(queued=False) → a job of 湖塘镇's template: checked (ready), or left queued as
    a big file is until a worker takes it."""
    settings.PORTAL_TODAY = datetime.date(2019, 4, 8)  # inside the period's window
    period.required_units.set([units["湖塘镇"], units["牛塘镇"]])
    data = build_template(period=period, unit=units["湖塘镇"])

    def upload(*, queued: bool = False) -> UploadJob:
        settings.UPLOAD_INLINE_MAX_BYTES = 1 if queued else 10 * 1024 * 1024
        # queued: the dispatch waits for a commit that never comes in this test's transaction
        return services.start_upload(
            actor=hutang, period=period, unit=units["湖塘镇"], file_name="上报.xlsx", data=data
        )

    return upload


def rows(job) -> int:
    return UploadRow.objects.filter(job_id=job.pk).count()


def set_job(job, **fields) -> UploadJob:
    UploadJob.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def minutes_ago(n: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=n)


# --- processing twice ----------------------------------------------------------------------------


def test_a_finished_job_is_left_alone(upload):
    job = upload()
    assert job.status == JobStatus.READY and job.attempts == 1 and rows(job) == 3
    result = job.result
    processing.process_job(job.pk)  # a re-delivered message
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result, rows(job)) == (JobStatus.READY, 1, result, 3)
    for status in (JobStatus.REJECTED, JobStatus.APPLIED, JobStatus.FAILED, JobStatus.EXPIRED):
        set_job(job, status=status)
        processing.process_job(job.pk)
        assert set_job(job).status == status and job.attempts == 1


def test_a_job_left_running_is_processed_again_without_duplicate_rows(upload):
    job = set_job(upload(), status=JobStatus.RUNNING)  # its worker died after staging
    processing.process_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.READY and job.attempts == 2 and rows(job) == 3


def test_a_run_the_reaper_failed_meanwhile_stops_and_writes_nothing(upload, monkeypatch):
    job = upload(queued=True)
    read = processing.read_upload

    def slow_read(*args, **kwargs):
        parsed = read(*args, **kwargs)
        # Meanwhile the run looked dead for too long: the reaper failed the job.
        assert processing.fail_stalled_jobs(minutes=0, now=timezone.now()) == 1
        return parsed

    monkeypatch.setattr(processing, "read_upload", slow_read)
    processing.process_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and rows(job) == 0
    assert job.result["problems"][0]["text"].startswith("后台处理中断")


def test_a_file_that_keeps_killing_its_worker_is_failed(upload):
    job = set_job(upload(queued=True), status=JobStatus.RUNNING, attempts=3)
    processing.process_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.attempts == 3 and rows(job) == 0
    assert "已 3 次使后台处理中断" in job.result["problems"][0]["text"]


# --- the reaper ----------------------------------------------------------------------------------


def test_the_reaper_fails_jobs_silent_for_too_long_and_only_those(upload, settings):
    settings.UPLOAD_STALL_MINUTES = 15
    dead = set_job(upload(), status=JobStatus.RUNNING, progress_at=minutes_ago(16))
    lost = set_job(upload(queued=True), progress_at=minutes_ago(16))
    alive = set_job(upload(queued=True), status=JobStatus.RUNNING, progress_at=minutes_ago(5))
    ready = set_job(upload(), progress_at=minutes_ago(60))
    assert rows(dead) == 3  # staged before its worker died
    assert tasks.fail_stalled_uploads() == 2
    statuses = {j.pk: j.status for j in UploadJob.objects.all()}
    assert statuses == {
        dead.pk: JobStatus.FAILED,
        lost.pk: JobStatus.FAILED,
        alive.pk: JobStatus.RUNNING,
        ready.pk: JobStatus.READY,
    }
    dead.refresh_from_db()
    lost.refresh_from_db()
    assert dead.result["problems"][0]["text"].startswith("后台处理中断：超过 15 分钟没有进展")
    assert lost.result["problems"][0]["text"].startswith("后台处理超过 15 分钟仍未开始")
    assert rows(dead) == 0 and rows(ready) == 3  # what never counted goes
    assert tasks.fail_stalled_uploads() == 0


def test_the_reaper_is_scheduled_and_upload_messages_are_acknowledged_late():
    schedule = PeriodicTask.objects.get(name="上传处理超时检查")
    assert schedule.task == "reports.fail_stalled_uploads"
    assert schedule.crontab.minute == "*/5" and schedule.crontab.hour == "*"
    assert celery_app.conf.task_acks_late and celery_app.conf.task_reject_on_worker_lost
    assert celery_app.conf.worker_prefetch_multiplier == 1
    upload_task = celery_app.tasks["reports.process_upload"]
    assert upload_task.acks_late and upload_task.reject_on_worker_lost


# --- 重试 ----------------------------------------------------------------------------------------


def test_the_job_page_offers_retry_to_its_uploader_and_retry_processes_the_file(
    upload, client_for, hutang, leader, niutang, settings
):
    job = upload(queued=True)
    assert processing.fail_stalled_jobs(minutes=0, now=timezone.now()) == 1
    page, retry = reverse("reports:job", args=[job.pk]), reverse("reports:job_retry", args=[job.pk])
    town = client_for(hutang).get(page).content.decode()
    assert "后台处理超过 0 分钟仍未开始" in town and f'action="{retry}"' in town and "重试" in town
    assert f'action="{retry}"' not in client_for(leader).get(page).content.decode()  # reads only
    assert client_for(leader).post(retry).status_code == 403
    assert client_for(niutang).post(retry).status_code == 404  # another town's job
    client = client_for(hutang)
    assert client.get(retry).status_code == 405
    settings.UPLOAD_INLINE_MAX_BYTES = 10 * 1024 * 1024  # checked in the request, for the test
    response = client.post(retry)
    assert response.status_code == 302 and response.url == page
    job.refresh_from_db()
    assert job.status == JobStatus.READY and job.attempts == 1 and rows(job) == 3, job.result
    assert "确认报送" in client.get(page).content.decode()


def test_only_a_failed_job_is_retried(upload, client_for, hutang):
    job = upload()
    client = client_for(hutang)
    response = client.post(reverse("reports:job_retry", args=[job.pk]), follow=True)
    assert "只有处理失败的上传可以重试（该上传：待确认）。" in response.content.decode()
    assert set_job(job).status == JobStatus.READY and job.attempts == 1


def test_a_retry_of_a_big_file_goes_back_to_the_queue(
    upload, hutang, settings, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.process_upload, "delay", sent.append)
    job = set_job(upload(queued=True), status=JobStatus.FAILED, attempts=2, progress=50, total=99)
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_upload(actor=hutang, job=job)  # the upload fixture left the limit at 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress, job.total) == (JobStatus.QUEUED, 0, 0, 0)
    assert sent == [str(job.pk)]
