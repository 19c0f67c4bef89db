"""Versions confirmed before approval made them count.

Until this migration a confirmed upload was written to the registry at once, whatever its
review. From now on only approval writes it. For the versions already confirmed:

- approved ones keep their values: they count, and their `applied_at` is when they were
  approved (or uploaded, if no review time was kept);
- a unit's versions that came after its last approved one for the year (pending, returned —
  returned values had stayed in the registry) are taken back: each of their values goes back
  to what the registry held before the upload (kept in the staged rows), wherever the
  registry still holds the upload's value. The newest goes first, so a chain of versions
  unwinds in order. Pending ones are then 待审核 like any new version: approving writes them
  again. Enterprises they created stay in the registry (with their history).
- a pending version that a later one replaced is marked 已被新版本替换.
"""

from django.db import migrations

APPROVED, SUBMITTED, REPLACED = "approved", "submitted", "replaced"


def _take_back(apps, submission) -> None:
    """Each staged value back to the registry's value before the upload, where the registry
    still holds the upload's value (a row at a time: this runs once)."""
    UploadRow = apps.get_model("reports", "UploadRow")
    EnterpriseYear = apps.get_model("enterprises", "EnterpriseYear")
    codes = submission.job.result.get("codes") or []
    for row in UploadRow.objects.filter(job_id=submission.job_id):
        year = EnterpriseYear.objects.filter(
            enterprise__uscc=row.uscc, year=submission.period.year
        ).first()
        if year is None:
            continue
        changed = [c for c in codes if getattr(year, c) == getattr(row, c)]
        for code in changed:
            setattr(year, code, getattr(row, f"was_{code}"))
        if changed:
            year.save(update_fields=changed)


def forwards(apps, schema_editor):
    Submission = apps.get_model("reports", "Submission")
    versions = Submission.objects.select_related("period", "job").order_by(
        "unit_id", "-period__year", "-period__quarter", "-version"
    )
    latest_of_period: set[tuple[int, int]] = set()
    done: set[tuple[int, int]] = set()  # (unit, year) reached its last approved version
    for submission in versions:
        key = (submission.unit_id, submission.period.year)
        newest = (submission.unit_id, submission.period_id) not in latest_of_period
        latest_of_period.add((submission.unit_id, submission.period_id))
        if submission.status == APPROVED:
            submission.applied_at = submission.reviewed_at or submission.uploaded_at
            submission.save(update_fields=["applied_at"])
            done.add(key)
            continue
        if key not in done and submission.job_id is not None:
            _take_back(apps, submission)
        if submission.status == SUBMITTED and not newest:
            submission.status = REPLACED
            submission.save(update_fields=["status"])


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_approval_portal_clock"),
        ("enterprises", "0007_portal_clock"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
