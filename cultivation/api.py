"""REST endpoints for the ladder: counts per unit for any registered metric, and the records."""

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.base import ScopedViewSet
from core.api.registry import paths, router
from core.dates import today
from core.params import unit_param, year_param

from . import selectors
from .models import Application, Certificate


class LadderCountsView(APIView):
    """GET /api/v1/ladder-counts/?metric=valid_hte&year=2019&unit=<id> → per child unit and total."""

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", str, enum=list(selectors.LADDER_METRICS)),
            OpenApiParameter("year", int),
            OpenApiParameter("unit", int),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        code = request.query_params.get("metric", "valid_hte")
        if code not in selectors.LADDER_METRICS:
            raise Http404(f"未知指标 {code}，可选：{'、'.join(selectors.LADDER_METRICS)}")
        unit = unit_param(request)
        year = year_param(request, today().year)
        ids, on = selectors.metric_ids(code, year, today())
        counts = selectors.count_by_child(ids, unit, on)
        children = unit.children.filter(is_active=True).order_by("order")
        return Response(
            {
                "metric": code,
                "label": selectors.LADDER_METRICS[code].label,
                "year": year,
                "as_of": on,
                "unit": {"id": unit.pk, "name": unit.name, "count": counts[unit.pk]},
                "children": [{"id": c.pk, "name": c.name, "count": counts[c.pk]} for c in children],
            }
        )


class CertificateSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = Certificate
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "number",
            "issued_on",
            "expires_on",
            "revoked_on",
            "historical",
        ]


class ApplicationSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "year",
            "batch",
            "kind",
            "status",
            "planned_on",
            "submitted_on",
            "decided_on",
        ]


class CertificateViewSet(ScopedViewSet):
    queryset = Certificate.objects.select_related("enterprise")
    serializer_class = CertificateSerializer
    filterset_fields = ["enterprise", "issued_on", "expires_on"]


class ApplicationViewSet(ScopedViewSet):
    queryset = Application.objects.select_related("enterprise")
    serializer_class = ApplicationSerializer
    filterset_fields = ["enterprise", "year", "kind", "status"]


router.register("certificates", CertificateViewSet, basename="certificate")
router.register("applications", ApplicationViewSet, basename="application")

paths.append(path("ladder-counts/", LadderCountsView.as_view(), name="ladder-counts"))
