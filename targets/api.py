"""REST endpoints: plans in scope, and a plan's completion table (rows the user may see)."""

from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.base import ScopedViewSet
from core.api.registry import router
from core.dates import today
from core.scoping import visible_unit_ids

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


class PlanViewSet(ScopedViewSet):
    queryset = TargetPlan.objects.select_related("unit").order_by("-year", "unit__path")
    serializer_class = PlanSerializer
    filterset_fields = ["year", "unit"]

    @action(detail=True)
    def completion(self, request, pk=None, format=None):  # format: the router's .json suffix
        plan = self.get_object()
        result = selectors.cached_completion(plan, today())
        visible = visible_unit_ids(request.user)
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
