"""The Python-rendered selects produce the HTML Django's templates do (attributes, selection,
groups, escaping), so a filter form looks and submits exactly as before."""

import pytest
from django import forms
from django.test.html import parse_html

from core.widgets import FastSelect
from enterprises.filters import YesNoAll

CHOICES = [
    ("", "全部"),
    ("a", "湖塘镇"),
    ("b&<", '带"引号"与<尖括号>'),
    ("分组", [("c", "牛塘镇"), ("d", "洛阳镇")]),
    (3, "数字值"),
]


@pytest.mark.parametrize("value", ["", "a", "b&<", "d", 3, None])
@pytest.mark.parametrize("attrs", [{}, {"id": "id_town", "required": True, "class": "x"}])
def test_fast_select_renders_what_djangos_select_renders(value, attrs):
    fast = FastSelect(attrs=attrs, choices=CHOICES).render("town", value)
    django = forms.Select(attrs=attrs, choices=CHOICES).render("town", value)
    assert parse_html(fast) == parse_html(django)
    assert "&lt;尖括号&gt;" in fast  # labels are escaped


@pytest.mark.parametrize("value", [None, True, False, "true"])
def test_yes_no_all_renders_what_the_boolean_widget_renders(value):
    from django_filters.widgets import BooleanWidget

    class Reference(BooleanWidget):
        def __init__(self, attrs=None):
            super().__init__(attrs)
            self.choices = [("", "全部"), ("true", "是"), ("false", "否")]

    assert parse_html(YesNoAll().render("above_scale", value)) == parse_html(
        Reference().render("above_scale", value)
    )
