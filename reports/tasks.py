from celery import shared_task

from . import services, staging


@shared_task(name="reports.process_upload")
def process_upload(job_id: str) -> None:
    """Parse and validate a big upload off the request; the page polls the job's progress."""
    services.process_job(job_id)


@shared_task(name="reports.expire_previews")
def expire_previews() -> int:
    """Nightly: previews nobody confirmed for a week give back their staged rows."""
    return staging.expire_previews()


from .notices import daily_notices, monthly_bulletin  # noqa: E402,F401  (tasks "reports.daily_notices", "reports.monthly_bulletin")
from .snapshots import nightly_snapshots  # noqa: E402,F401  (task "reports.take_snapshots")
