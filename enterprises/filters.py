"""One FilterSet for the HTML list, the exports and the API, so all three agree."""

from collections.abc import Callable, Iterable
from typing import TypeVar

import django_filters
from django.db import connection
from django.db.models import BooleanField, Exists, F, OuterRef, Q
from django.db.models.expressions import OrderBy, RawSQL
from django.forms.models import ModelChoiceIterator

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
    # (order, path) for whoever reads the queryset as is; the dropdowns sort it as a tree.
    units = OrgUnit.objects.for_user(request.user, VIEW).filter(is_active=True)
    return units.order_by("order", "path")


Unit = TypeVar("Unit")


def in_display_order(
    units: Iterable[Unit], key: Callable[[Unit], tuple[int, int, str]]
) -> list[Unit]:
    """Units as the notices list them: each one before the units below it, siblings by their
    display order (`order`, then path) — 武进国家高新技术产业开发区, 西太湖科技产业园, 湖塘镇…
    `key` gives a unit's (id, order, path). A flat (order, path) sort would put a district
    among its own towns and interleave the towns of two districts; path alone is id order
    ("/3/10/" even sorts before "/3/4/")."""
    units = list(units)
    rank = {pk: (order, path) for pk, order, path in map(key, units)}

    def position(unit: Unit) -> list[tuple[int, str]]:
        lineage = (int(part) for part in key(unit)[2].strip("/").split("/") if part)
        return [rank[pk] for pk in lineage if pk in rank]

    return sorted(units, key=position)


# Enterprises by town in that order: within their parent unit by display order, parents by
# theirs (for a city or province, districts stay together). A district's own list has one
# parent, so this is (order, path) of the towns.
TOWN_ORDER = ("town__parent__order", "town__parent__path", "town__order", "town__path")


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
            rows = self.field.queryset.values_list("pk", "name", "order", "path")
            ordered = in_display_order(rows, key=lambda row: (row[0], row[2], row[3]))
            self.field._unit_pairs = [(pk, name) for pk, name, _, _ in ordered]
        return self.field._unit_pairs

    def __len__(self):
        extra = (self.field.empty_label is not None) + (self.field.null_label is not None)
        return len(self._pairs()) + extra


class DisplayOrderChoices(ModelChoiceIterator):
    """A form's unit choices (model instances) in display order, sorted as they are read."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        units = in_display_order(self.queryset, key=lambda unit: (unit.pk, unit.order, unit.path))
        for unit in units:
            yield self.choice(unit)


class UnitChoiceField(django_filters.fields.ModelChoiceField):
    iterator = _FetchedChoices


class UnitFilter(django_filters.ModelChoiceFilter):
    field_class = UnitChoiceField


class SortFilter(django_filters.OrderingFilter):
    """The sort menu in Chinese — "企业名称（升序）" where django-filter would print
    "企业名称 (descending)" or a field's English name — with the same ?ordering= values
    (name, -name, town, …) as before, for the page, the exports and the API alike.

    `sorts` maps each value to (label, the fields it sorts by). Every sort ends on name and
    id: rows that tie (same town, no registration date) keep one order from page to page,
    so none shows twice or never. Blanks sort last both ways, on every database."""

    def __init__(self, *args, sorts: dict[str, tuple[str, tuple[str, ...]]], **kwargs):
        self.sorts = sorts
        kwargs["choices"] = [
            choice
            for param, (label, _) in sorts.items()
            for choice in ((param, f"{label}（升序）"), (f"-{param}", f"{label}（降序）"))
        ]
        super().__init__(*args, fields=[(param, param) for param in sorts], **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        keys: list[OrderBy] = []
        used: set[str] = set()
        for param in (p for p in value if p):
            descending = param.startswith("-")
            for field in self.sorts[param.removeprefix("-")][1]:
                if field not in used:
                    used.add(field)
                    keys.append(_order_by(qs.model, field, descending))
        if not keys:
            return qs
        for field in ("name", "id"):
            if field not in used:
                keys.append(_order_by(qs.model, field, keys[0].descending))
        return qs.order_by(*keys)


def _order_by(model, lookup: str, descending: bool) -> OrderBy:
    # NULLS LAST only where a NULL can occur: spelled out on a NOT NULL column it would keep
    # PostgreSQL from reading a descending sort backwards off the index.
    nullable = False
    for name in lookup.split("__"):
        field = model._meta.get_field(name)
        nullable = nullable or field.null
        model = field.related_model
    return OrderBy(F(lookup), descending=descending, nulls_last=True if nullable else None)


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
    ordering = SortFilter(
        sorts={
            "name": ("企业名称", ("name",)),
            "uscc": ("统一社会信用代码", ("uscc",)),
            "town": ("所属镇（园区）", TOWN_ORDER),
            "registered_on": ("注册日期", ("registered_on",)),
            "updated_at": ("更新时间", ("updated_at",)),
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
