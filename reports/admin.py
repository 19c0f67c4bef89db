"""Reporting records are viewed here; periods, uploads and reviews happen in the portal."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Bulletin, ReportingPeriod, Snapshot, Submission


@admin.register(ReportingPeriod)
class PeriodAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "unit", "window_start", "deadline", "lock_days", "allow_new"]
    list_filter = ["year", "quarter"]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["unit", "period", "version", "status", "on_time", "uploaded_at", "uploaded_by"]
    list_filter = ["status", "on_time", "period"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["date", "unit", "metric", "value"]
    list_filter = ["metric", "date"]


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ["title", "unit", "as_of", "scheduled", "created_at"]
    exclude = ["html", "data"]
