from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    # One message for either mistake: never hint whether the user name exists.
    error_messages = {
        "invalid_login": "用户名或密码不正确，请重新输入。连续输错 %(limit)s 次将暂时锁定。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    def get_invalid_login_error(self):
        from django.conf import settings
        from django.core.exceptions import ValidationError

        return ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={"limit": settings.AXES_FAILURE_LIMIT},
        )


class DateInput(forms.DateInput):
    """The one date widget: the browser's date picker, which reads and sends yyyy-mm-dd only
    (a value rendered as 2019/03/05 would show empty and be lost on save)."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def narrow_choices(
    form: forms.BaseForm, name: str, queryset: Any, *, empty_label: str | None = "请选择"
) -> None:
    """Offer only `queryset` in a model choice field — the user's scope, the period's units."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset
    if not isinstance(field, forms.ModelMultipleChoiceField):  # checkboxes have no empty choice
        field.empty_label = empty_label


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="用途",
        max_length=100,
        help_text="写清这个令牌给哪个程序用，例如“区统计系统对接”；以后凭它辨认和撤销。",
    )
