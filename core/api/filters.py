"""The API's filter backend: django-filter, with query values held to the types the schema
documents.

django-filter is made for HTML forms, where an empty box means "no filter" and a value it
cannot read is best ignored. Through the API those quietly widen a query: `?year=2019.5`,
`?valid_hte=null` or `?issued_on=` would answer the whole unfiltered list as if it were the
filtered one. Here each typed parameter must be a value of its documented type, or the answer
is a 400 naming it. Free-text parameters (`q`) are left alone: empty text is text.
"""

import datetime
import re
from typing import Any

import django_filters
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _integer_field(model: Any, name: str) -> bool:
    try:
        field = model._meta.get_field(name.split("__")[0])
    except Exception:  # a method filter, or a path through relations: not a plain column
        return False
    return isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey)


def _problem(flt: Any, model: Any, value: str) -> str | None:
    """Why `value` is not what `flt`'s parameter documents, or None if it is."""
    if isinstance(flt, django_filters.CharFilter) and not isinstance(
        flt, django_filters.ChoiceFilter
    ):
        return None
    if value == "":
        return "不能为空；不按此条件筛选时请省略该参数。"
    if isinstance(flt, django_filters.BooleanFilter):
        return None if value in ("true", "false") else "应为 true 或 false。"
    if isinstance(flt, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter):
        return None if _INTEGER.fullmatch(value) else "应为记录编号（整数）。"
    if isinstance(flt, django_filters.NumberFilter):
        integer = _integer_field(model, flt.field_name)
        pattern, label = (_INTEGER, "整数") if integer else (_NUMBER, "数字")
        return None if pattern.fullmatch(value) else f"应为{label}。"
    if isinstance(flt, django_filters.DateFilter):
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            return "应为日期，如 2019-07-15。"
    return None  # choices: the filter itself refuses a value that is not one of them


def _many(flt: Any) -> bool:
    """Whether the filter takes the parameter repeated (?status=a&status=b)."""
    return isinstance(
        flt, django_filters.MultipleChoiceFilter | django_filters.ModelMultipleChoiceFilter
    )


class StrictFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            model = filterset_class._meta.model or queryset.model
            errors = {}
            for name, flt in filterset_class.base_filters.items():
                values = request.query_params.getlist(name)
                if len(values) > 1 and not _many(flt):
                    errors[name] = ["只能给出一次。"]
                for value in values:
                    problem = _problem(flt, model, value)
                    if problem:
                        errors[name] = [f"{problem}（收到“{value}”）"]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().get_filterset(request, queryset, view)
