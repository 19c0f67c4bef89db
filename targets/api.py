"""REST endpoints: plans in scope, and a plan's completion table (rows the user may see)."""

from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import router
from core.dates import today
from core.models import OrgUnit

from . import selectors
from .models import TargetPlan


class PlanSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = TargetPlan
        fields = [
            "id",
            "year",
            "unit",
            "unit_name",
            "title",
            "doc_number",
            "issued_on",
            "progress_mode",
        ]


def _row(row, columns) -> dict:
    cells = {}
    for column in columns:
        cell = row.cells[column.metric_id]
        cells[column.metric.code] = {
            "target": cell.target,
            "actual": cell.actual,
            "completion": cell.completion,
            "status": cell.status,
            "rank": cell.rank,
            "forecast": cell.forecast,
            "forecast_inputs": cell.forecast_inputs,
        }
    return {"unit": {"id": row.unit.pk, "name": row.unit.name}, "cells": cells}


class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PlanSerializer
    filterset_fields = ["year", "unit"]

    def get_queryset(self):
        return selectors.plans_for(self.request.user)

    @action(detail=True)
    def completion(self, request, pk=None):
        plan = self.get_object()
        result = selectors.completion(plan, today())
        visible = set(OrgUnit.objects.for_user(request.user).values_list("pk", flat=True))
        return Response(
            {
                "plan": PlanSerializer(plan).data,
                "as_of": result.on,
                "expected_progress": result.expected,
                "metrics": [
                    {
                        "code": c.metric.code,
                        "name": c.metric.name,
                        "header": c.header,
                        "group": c.group,
                        "breakdown": c.breakdown,
                    }
                    for c in result.columns
                ],
                "rows": [_row(r, result.columns) for r in result.rows if r.unit.pk in visible],
                "total": _row(result.total, result.columns),
                "mismatches": result.mismatches,
            }
        )


router.register("target-plans", PlanViewSet, basename="target-plan")
