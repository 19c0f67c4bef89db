from django import forms
from django.contrib import admin

from core.admin import ScopedReadOnlyAdmin
from cultivation.selectors import LADDER_METRICS

from .choices import MetricSource
from .models import Metric, TargetPlan


class MetricForm(forms.ModelForm):
    ladder_metric = forms.ChoiceField(
        label="梯次统计口径",
        required=False,
        choices=[("", "—（季度报送指标）")]
        + [(code, m.label) for code, m in LADDER_METRICS.items()],
    )

    class Meta:
        model = Metric
        fields = [
            "code",
            "name",
            "header",
            "unit",
            "source",
            "ladder_metric",
            "baseline",
            "aliases",
            "order",
            "is_active",
        ]

    def clean(self):
        data = super().clean() or {}
        if data.get("source") == MetricSource.LADDER and not data.get("ladder_metric"):
            self.add_error("ladder_metric", "来源为“梯次培育记录”时请选择统计口径。")
        if data.get("source") == MetricSource.REPORTED:
            data["ladder_metric"] = ""
        return data


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    """The catalogue staff extend: new metrics become choosable in target plans."""

    form = MetricForm
    list_display = [
        "name",
        "code",
        "header",
        "unit",
        "source",
        "ladder_metric",
        "baseline",
        "order",
        "is_active",
    ]
    list_filter = ["source", "is_active", "baseline"]
    search_fields = ["name", "code", "header", "aliases"]

    def has_delete_permission(self, request, obj=None):
        return False  # plans refer to metrics; deactivate instead


@admin.register(TargetPlan)
class TargetPlanAdmin(ScopedReadOnlyAdmin):
    list_display = ["title", "year", "unit", "doc_number", "issued_on"]
    list_filter = ["year"]
