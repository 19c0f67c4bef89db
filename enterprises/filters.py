"""One FilterSet for the HTML list, the exports and the API, so all three agree."""

import django_filters
from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from core.dates import today
from core.models import OrgUnit
from core.scoping import VIEW
from core.widgets import FastSelect, FastSelectMixin
from cultivation import selectors as ladder
from cultivation.choices import HonourType, Rung

from .choices import TechField
from .models import Enterprise


class YesNoAll(FastSelectMixin, django_filters.widgets.BooleanWidget):
    """全部 / 是 / 否 instead of the default "未知" for no filter."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", "全部"), ("true", "是"), ("false", "否")]


# See migration 0005: the name's bigrams must contain the search term's.
BIGRAM_SQL = (
    'htportal_bigrams(UPPER("enterprises_enterprise"."name"::text)) @> htportal_bigrams(UPPER(%s))'
)

STATUS_CHOICES = [("active", "有效"), ("inactive", "已停用"), ("all", "全部")]


def scoped_units(request):
    if request is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.for_user(request.user, VIEW).filter(is_active=True).order_by("path")


class _FetchedChoices(django_filters.fields.ModelChoiceIterator):
    """The units a user may pick — a hundred towns, or 1,200 units for a province — as
    (id, name) pairs from one plain query. Django's default counts them, streams them
    through a server-side cursor and builds a model instance per option: three round trips
    and most of the list page's time at province scale. Validation still looks the chosen
    id up in the scoped queryset."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        yield from self._pairs()

    def _pairs(self) -> list[tuple[int, str]]:
        if not hasattr(self.field, "_unit_pairs"):
            self.field._unit_pairs = list(self.field.queryset.values_list("pk", "name"))
        return self.field._unit_pairs

    def __len__(self):
        extra = (self.field.empty_label is not None) + (self.field.null_label is not None)
        return len(self._pairs()) + extra


class UnitChoiceField(django_filters.fields.ModelChoiceField):
    iterator = _FetchedChoices


class UnitFilter(django_filters.ModelChoiceFilter):
    field_class = UnitChoiceField


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="名称或代码")
    town = UnitFilter(
        queryset=scoped_units,
        method="in_unit",
        label="所属镇（园区）",
        empty_label="全部",
        widget=FastSelect,
    )
    tech_field = django_filters.ChoiceFilter(
        choices=TechField.choices, label="技术领域", empty_label="全部", widget=FastSelect
    )
    above_scale = django_filters.BooleanFilter(label="规上企业", widget=YesNoAll)
    uscc_warning = django_filters.BooleanFilter(
        method="checksum_warning", label="代码校验警告", widget=YesNoAll
    )
    rung = django_filters.ChoiceFilter(
        choices=Rung.choices,
        method="by_rung",
        label="当前梯次",
        empty_label="全部",
        widget=FastSelect,
    )
    honour = django_filters.ChoiceFilter(
        choices=HonourType.choices,
        method="by_honour",
        label="荣誉称号",
        empty_label="全部",
        widget=FastSelect,
    )
    valid_hte = django_filters.BooleanFilter(
        method="by_valid_hte", label="持有效高企证书", widget=YesNoAll
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES,
        method="by_status",
        label="状态",
        empty_label="有效（默认）",
        widget=FastSelect,
    )
    ordering = django_filters.OrderingFilter(
        fields=[
            ("name", "name"),
            ("uscc", "uscc"),
            ("town__path", "town"),
            ("registered_on", "registered_on"),
            ("updated_at", "updated_at"),
        ],
        field_labels={
            "name": "企业名称",
            "uscc": "统一社会信用代码",
            "town": "所属镇（园区）",
            "registered_on": "注册日期",
            "updated_at": "更新时间",
        },
        label="排序",
        empty_label="默认（按名称）",
        widget=FastSelect,
    )

    class Meta:
        model = Enterprise
        fields = [
            "q",
            "town",
            "tech_field",
            "rung",
            "honour",
            "valid_hte",
            "above_scale",
            "uscc_warning",
            "status",
        ]

    @property
    def qs(self):
        queryset = super().qs
        # Deactivated enterprises stay out of sight unless asked for.
        if not self.is_bound or not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(is_active=True)
        return queryset

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        by_name = Q(name__icontains=value)
        if len(value) == 2 and connection.vendor == "postgresql":
            # Too short for the trigram index: narrow through the bigram index first.
            by_name &= Q(RawSQL(BIGRAM_SQL, [value], output_field=BooleanField()))
        if not value.isascii():  # a USCC is ASCII letters and digits only
            return queryset.filter(by_name)
        return queryset.filter(by_name | Q(uscc__contains=value.upper()))

    def in_unit(self, queryset, name, unit):
        # A district-level unit selects its whole subtree.
        return queryset.in_unit(unit)

    def checksum_warning(self, queryset, name, value):
        return queryset.filter(uscc_checksum_ok=not value)

    # The ladder lives in cultivation; its selectors say what each rung means today.
    def by_rung(self, queryset, name, value):
        return ladder.filter_by_rung(queryset, value)

    def by_honour(self, queryset, name, value):
        return ladder.with_honour(queryset, value)

    def by_valid_hte(self, queryset, name, value):
        holders = Exists(ladder.valid_hte_ids(today()).filter(enterprise_id=OuterRef("pk")))
        return queryset.filter(holders if value else ~holders)

    def by_status(self, queryset, name, value):
        return {
            "active": queryset.filter(is_active=True),
            "inactive": queryset.filter(is_active=False),
        }.get(value, queryset)
