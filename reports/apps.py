from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "季度报送"

    def ready(self) -> None:
        from core.schedules import register_after_migrate
        from core.selectors import HISTORY_SOURCES, PENDING_SOURCES, REPORTED_QUARTER_SOURCES
        from cultivation.prediagnosis import TOUCHED_SOURCES
        from targets.selectors import REPORTED_SOURCES

        from .selectors import (
            approved_upload_enterprises,
            pending_for_enterprise,
            reported_quarter,
            reported_totals,
            upload_history,
        )
        from .tasks import SCHEDULES

        register_after_migrate(self, SCHEDULES)
        HISTORY_SOURCES.append(
            upload_history
        )  # what each upload changed, in an enterprise's history
        PENDING_SOURCES.append(pending_for_enterprise)  # its figures waiting for review
        REPORTED_QUARTER_SOURCES.append(reported_quarter)  # "截至第2季度" on its page
        REPORTED_SOURCES.append(reported_totals)  # targets' "reported" metrics
        if approved_upload_enterprises not in TOUCHED_SOURCES:  # stored pre-diagnoses follow
            TOUCHED_SOURCES.append(approved_upload_enterprises)
