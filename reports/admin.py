"""Reporting records are viewed here; periods, uploads and reviews happen in the portal."""

from django.contrib import admin

from core.admin import ScopedReadOnlyAdmin

from .models import ReportingPeriod, Submission


@admin.register(ReportingPeriod)
class PeriodAdmin(ScopedReadOnlyAdmin):
    list_display = ["__str__", "unit", "window_start", "deadline", "lock_days", "allow_new"]
    list_filter = ["year", "quarter"]


@admin.register(Submission)
class SubmissionAdmin(ScopedReadOnlyAdmin):
    list_display = ["unit", "period", "version", "status", "on_time", "uploaded_at", "uploaded_by"]
    list_filter = ["status", "on_time", "period"]
