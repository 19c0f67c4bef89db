from django.apps import AppConfig


class CultivationConfig(AppConfig):
    name = "cultivation"
    verbose_name = "梯次培育"

    def ready(self) -> None:
        from core.schedules import register_after_migrate

        from .tasks import SCHEDULES

        register_after_migrate(self, SCHEDULES)
