from django.contrib import admin

from core.admin import ScopedReadOnlyAdmin

from .models import Bulletin


@admin.register(Bulletin)
class BulletinAdmin(ScopedReadOnlyAdmin):
    list_display = ["title", "unit", "as_of", "scheduled", "created_at"]
    exclude = ["html", "data"]
