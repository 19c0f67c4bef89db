from django.apps import AppConfig


class CultivationConfig(AppConfig):
    name = "cultivation"
    verbose_name = "梯次培育"

    def ready(self) -> None:
        from core.changelog import CHANGE_HOOKS
        from core.schedules import register_after_migrate

        from .prediagnosis import on_change
        from .tasks import SCHEDULES

        register_after_migrate(self, SCHEDULES)
        if on_change not in CHANGE_HOOKS:  # stored pre-diagnoses follow every logged change
            CHANGE_HOOKS.append(on_change)
