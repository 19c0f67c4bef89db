from django.contrib import admin

from core.admin import ScopedReadOnlyAdmin

from .models import Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(ScopedReadOnlyAdmin):
    list_display = ["date", "unit", "metric", "value"]
    list_filter = ["metric", "date"]
