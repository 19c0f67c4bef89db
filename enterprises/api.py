"""Read-only REST endpoints for the registry, scoped, filtered by the same FilterSet as the list."""

from rest_framework import serializers

from core.api.base import ScopedViewSet
from core.api.registry import router

from .filters import EnterpriseFilter
from .models import INDICATOR_FIELDS, Enterprise, EnterpriseYear


class EnterpriseYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnterpriseYear
        fields = ["year", *INDICATOR_FIELDS]


class EnterpriseSerializer(serializers.ModelSerializer):
    town_name = serializers.CharField(source="town.name", read_only=True)
    tech_field_label = serializers.CharField(source="get_tech_field_display", read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "uscc",
            "uscc_checksum_ok",
            "name",
            "town",
            "town_name",
            "tech_field",
            "tech_field_label",
            "tech_subfield",
            "industry",
            "above_scale",
            "registered_on",
            "is_active",
            "updated_at",
        ]


class EnterpriseDetailSerializer(EnterpriseSerializer):
    years = EnterpriseYearSerializer(many=True, read_only=True)

    class Meta(EnterpriseSerializer.Meta):
        fields = [*EnterpriseSerializer.Meta.fields, "address", "legal_rep", "years"]


class EnterpriseViewSet(ScopedViewSet):
    queryset = Enterprise.objects.select_related("town")
    filterset_class = EnterpriseFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.prefetch_related("years") if self.action == "retrieve" else queryset

    def get_serializer_class(self):
        return EnterpriseDetailSerializer if self.action == "retrieve" else EnterpriseSerializer


router.register("enterprises", EnterpriseViewSet, basename="enterprise")
