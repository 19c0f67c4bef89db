from django import forms

from core.forms import DateInput, narrow_choices
from core.models import OrgUnit

from .columns import INDICATOR_COLUMNS
from .models import ReportingPeriod


class PeriodForm(forms.ModelForm):
    columns = forms.MultipleChoiceField(
        label="模板包含的指标列",
        choices=[(c.code, c.header) for c in INDICATOR_COLUMNS],
        widget=forms.CheckboxSelectMultiple,
    )
    required_units = forms.ModelMultipleChoiceField(
        queryset=OrgUnit.objects.none(), label="须报送单位", widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ReportingPeriod
        fields = ["year", "quarter", "window_start", "deadline", "lock_days", "allow_new", "notes"]
        widgets = {"window_start": DateInput(), "deadline": DateInput()}

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        # The model's choices come with Django's "---------" as the empty one.
        quarter = self.fields["quarter"]
        assert isinstance(quarter, forms.ChoiceField)
        quarter.choices = [
            ("", "请选择季度"),
            *ReportingPeriod._meta.get_field("quarter").flatchoices,
        ]
        children = unit.children.filter(is_active=True).order_by("order")
        narrow_choices(self, "required_units", children)
        self.fields["required_units"].initial = list(children)


class UploadForm(forms.Form):
    file = forms.FileField(label="填好的报送表（.xlsx 或 .xls）")


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "审核通过"), ("return", "退回修改")], label="审核结果"
    )
    comment = forms.CharField(
        label="审核意见", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReopenForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label="单位")
    until = forms.DateField(label="重新开放至", widget=DateInput())
    reason = forms.CharField(label="原因", max_length=300, required=False)

    def __init__(self, *args, period, **kwargs):
        super().__init__(*args, **kwargs)
        narrow_choices(
            self, "unit", period.required_units.order_by("order"), empty_label="请选择单位"
        )
