from typing import Any

from django import forms

from core.forms import DateInput, narrow_choices
from targets.models import TargetPlan

from .selectors import issuable_plans


class PlanField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.year}年 {obj.unit} · {obj}"


class BulletinForm(forms.Form):
    plan = PlanField(label="目标任务", queryset=TargetPlan.objects.none())
    as_of = forms.DateField(
        label="统计日期",
        required=False,
        widget=DateInput(),
        help_text="留空为今天；早于或晚于计划年度时，取该年度的1月1日或12月31日。",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        narrow_choices(self, "plan", issuable_plans(user), empty_label=None)
