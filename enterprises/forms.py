from django import forms

from core.dates import today
from core.forms import DateInput, narrow_choices
from core.models import OrgUnit
from core.scoping import CHANGE

from .filters import DisplayOrderChoices
from .models import FIRST_YEAR, INDICATOR_FIELDS, LAST_YEAR, Enterprise, EnterpriseYear
from .services import EDITABLE_FIELDS, checked_uscc


def writable_towns(user):
    return OrgUnit.objects.for_user(user, CHANGE).filter(is_active=True).order_by("order", "path")


def offer_towns(form: forms.BaseForm, name: str, towns) -> None:
    """Offer `towns` in field `name`, listed in display order (set before the queryset: the
    widget takes its choices from the field's iterator when the queryset is set)."""
    form.fields[name].iterator = DisplayOrderChoices  # type: ignore[attr-defined]
    narrow_choices(form, name, towns)


class EnterpriseForm(forms.ModelForm):
    """Create (with town) or edit (town changes through the move form, which keeps history)."""

    class Meta:
        model = Enterprise
        fields = ["town", *EDITABLE_FIELDS]
        widgets = {"registered_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.uscc_warning = ""
        if self.instance.pk:
            del self.fields["town"]
        else:
            offer_towns(self, "town", writable_towns(user))

    def clean_uscc(self):
        try:
            code, checksum_ok = checked_uscc(self.cleaned_data["uscc"], exclude_pk=self.instance.pk)
        except forms.ValidationError as exc:  # the service names the field; the form knows it
            raise forms.ValidationError(exc.message_dict["uscc"]) from exc
        if not checksum_ok:
            self.uscc_warning = f"代码 {code} 校验位不符，已按原样保存，请核对。"
        return code

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class MoveForm(forms.Form):
    town = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label="迁入镇（园区）")
    on = forms.DateField(label="迁入日期", widget=DateInput(), initial=today)
    note = forms.CharField(label="说明", max_length=500, required=False)

    def __init__(self, *args, user, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        offer_towns(self, "town", writable_towns(user).exclude(pk=enterprise.town_id))


class YearForm(forms.ModelForm):
    class Meta:
        model = EnterpriseYear
        fields = ["year", *INDICATOR_FIELDS]

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.enterprise = enterprise
        if self.instance.pk:
            self.fields["year"].disabled = True

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise forms.ValidationError(f"请填写 {FIRST_YEAR}–{LAST_YEAR} 之间的年度。")
        exists = self.instance.enterprise.years.filter(year=year).exclude(pk=self.instance.pk)
        if exists.exists():
            raise forms.ValidationError(f"{year}年度指标已存在，请在指标表中点击“修改”。")
        return year
