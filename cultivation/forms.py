from django import forms

from enterprises.forms import DateInput

from .choices import NEXT_STATUS, ApplicationStatus, PoolExit
from .models import (
    AnnualReport,
    Application,
    Certificate,
    Honour,
    PoolMembership,
    TechSMEEvaluation,
)

DATE_WIDGETS = {
    name: DateInput()
    for name in [
        "evaluated_on",
        "start",
        "end",
        "planned_on",
        "submitted_on",
        "decided_on",
        "issued_on",
        "filed_on",
    ]
}


def _record_form(model_class, field_names):
    """A ModelForm for one ladder record kind; the services do the validation that matters."""
    meta = type("Meta", (), {"model": model_class, "fields": field_names, "widgets": DATE_WIDGETS})
    return type(f"{model_class.__name__}Form", (forms.ModelForm,), {"Meta": meta})


EvaluationForm = _record_form(TechSMEEvaluation, ["year", "reg_number", "evaluated_on", "source"])
PoolForm = _record_form(
    PoolMembership, ["level", "year", "batch", "start", "end", "exit_reason", "source"]
)
ApplicationForm = _record_form(
    Application,
    ["year", "batch", "kind", "status", "planned_on", "submitted_on", "decided_on", "source"],
)
CertificateForm = _record_form(Certificate, ["number", "issued_on", "historical", "source"])
HonourForm = _record_form(Honour, ["type", "level", "year", "expires_year", "source"])
AnnualReportForm = _record_form(AnnualReport, ["year", "filed_on", "notes"])


class AdvanceForm(forms.Form):
    status = forms.ChoiceField(label="新状态")
    on = forms.DateField(label="日期", widget=DateInput())

    def __init__(self, *args, application: Application, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = NEXT_STATUS.get(application.status, set())
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [(s.value, s.label) for s in ApplicationStatus if s in allowed]


class EndPoolForm(forms.Form):
    end = forms.DateField(label="出库日期", widget=DateInput())
    exit_reason = forms.ChoiceField(label="出库原因", choices=PoolExit.choices)


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx 或 .xls）")
    dry_run = forms.BooleanField(label="仅检查，不写入", required=False)


class AnnualReportImportForm(forms.Form):
    year = forms.IntegerField(
        label="报告年度",
        min_value=2000,
        max_value=2100,
        help_text="名单所报告的年度，如 2019 年 5 月填报的是 2018 年度年报",
    )
    file = forms.FileField(
        label="年报填报名单（.xlsx 或 .xls）",
        help_text="从高新技术企业认定管理工作网导出；须有“统一社会信用代码”和“填报日期”（或“提交日期”）列",
    )
    dry_run = forms.BooleanField(label="仅检查，不写入", required=False)
