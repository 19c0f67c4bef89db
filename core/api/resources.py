"""/api/v1/units/: the org units a user may see (the ids every other resource filters by)."""

from rest_framework import serializers

from core.models import OrgUnit

from .base import ModelSerializer, ScopedViewSet
from .registry import router


class UnitSerializer(ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = OrgUnit
        fields = ["id", "name", "short_name", "kind", "kind_label", "code", "parent", "order"]


class UnitViewSet(ScopedViewSet):
    """Active units in your scope, in the notices' display order (tree, then `order`)."""

    queryset = OrgUnit.objects.filter(is_active=True).order_by("path")
    serializer_class = UnitSerializer
    filterset_fields = ["kind", "parent"]


router.register("units", UnitViewSet, basename="unit")
