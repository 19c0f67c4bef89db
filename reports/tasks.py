from celery import shared_task

from . import services


@shared_task(name="reports.process_upload")
def process_upload(job_id: str) -> None:
    """Parse and validate a big upload off the request; the page polls the job's progress."""
    services.process_job(job_id)
