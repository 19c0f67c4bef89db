from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "bulletins"
    verbose_name = "通报"

    def ready(self) -> None:
        from core.schedules import register_after_migrate

        from .tasks import SCHEDULES

        register_after_migrate(self, SCHEDULES)
