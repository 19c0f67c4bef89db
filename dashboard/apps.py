from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "驾驶舱"

    def ready(self) -> None:
        from core.schedules import register_after_migrate

        from .tasks import SCHEDULES

        register_after_migrate(self, SCHEDULES)
