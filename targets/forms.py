from collections.abc import Iterable

from django import forms

from enterprises.forms import DateInput

from .models import Metric, TargetPlan


class PlanForm(forms.ModelForm):
    """Plan header and which catalogue metrics it sets (table columns and own goals)."""

    breakdown_metrics = forms.ModelMultipleChoiceField(
        queryset=Metric.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        label="分解到下级的指标（任务分解表的列，按所选顺序）",
        required=False,
    )
    own_metrics = forms.ModelMultipleChoiceField(
        queryset=Metric.objects.filter(is_active=True, baseline=False),
        widget=forms.CheckboxSelectMultiple,
        label="只设本级目标的指标",
        required=False,
    )
    group = forms.CharField(
        label="合并表头（可选）",
        required=False,
        help_text="如“2019年争取上报任务数”，放在非基数指标列的上方",
    )

    class Meta:
        model = TargetPlan
        fields = [
            "year",
            "title",
            "doc_number",
            "issued_on",
            "progress_mode",
            "lag_threshold",
            "notes",
        ]
        widgets = {"issued_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        data = super().clean() or {}
        problem = overlap_error(data.get("breakdown_metrics") or [], data.get("own_metrics") or [])
        if problem:
            raise forms.ValidationError(problem)
        return data

    def columns(self):
        return plan_columns(
            self.cleaned_data["breakdown_metrics"], self.cleaned_data.get("group", "")
        )


def overlap_error(breakdown: Iterable[Metric], own: Iterable[Metric]) -> str | None:
    """Why a plan's columns and own goals cannot be these (a metric in both), or None."""
    both = set(breakdown) & set(own)
    if both:
        return f"指标“{'、'.join(m.name for m in both)}”不能同时分解到下级和只设本级目标。"
    return None


def plan_columns(metrics: Iterable[Metric], group: str) -> list[tuple[Metric, str]]:
    """The table's columns: the merged header sits above every column but the baselines."""
    return [(m, "" if m.baseline else group) for m in metrics]


class TableImportForm(forms.Form):
    file = forms.FileField(label="任务分解表（.xlsx 或 .xls）")
    dry_run = forms.BooleanField(label="仅检查，不写入", required=False)
