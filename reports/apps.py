from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "季度报送与驾驶舱"

    def ready(self):
        from core.selectors import HISTORY_SOURCES

        from .schedules import ensure_schedules
        from .selectors import upload_history

        post_migrate.connect(ensure_schedules, sender=self)
        HISTORY_SOURCES.append(upload_history)
