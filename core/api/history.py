"""/api/v1/history/{app_label}/{model_name}/{id}/: the change history of one object — the
entries its history page shows (core.selectors.history_for), under the same check: an object
of a scoped model, in the user's scope; anything else is a 404."""

from typing import Any

from django.urls import path
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core import selectors
from core.choices import Action
from core.models import ChangeLog

from .base import Serializer
from .registry import paths


class HistoryChangeSerializer(Serializer):
    """一个字段的修改。"""

    field = serializers.CharField(help_text="字段（中文名称，如“企业名称”）")
    before = serializers.JSONField(help_text="修改前的值（文字或数字；空为 null）")
    after = serializers.JSONField(help_text="修改后的值（文字或数字；空为 null）")

    class Meta:
        ref_name = "HistoryChange"


class HistoryEntrySerializer(Serializer):
    """变更历史中的一条：谁、何时、做了什么、哪些字段从什么改为什么。"""

    created_at = serializers.DateTimeField(help_text="时间")
    actor_name = serializers.CharField(help_text="操作人（系统操作为“系统”）")
    action = serializers.ChoiceField(choices=Action.choices, help_text="操作")
    action_label = serializers.CharField(source="get_action_display", help_text="操作名称")
    object_repr = serializers.CharField(help_text="当时的记录名称")
    changes = serializers.SerializerMethodField(help_text="有变化的字段；无字段变化时为空列表")
    note = serializers.CharField(help_text="说明")

    class Meta:
        ref_name = "HistoryEntry"

    @extend_schema_field(HistoryChangeSerializer(many=True))
    def get_changes(self, entry: ChangeLog) -> list[dict]:
        return [
            {"field": field, "before": before, "after": after}
            for field, before, after in entry.changed_fields()
        ]


def _path_parameter(name: str, description: str, example: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        str,
        OpenApiParameter.PATH,
        description=description,
        examples=[OpenApiExample(example, value=example)],
    )


class HistoryView(generics.GenericAPIView):
    """The entries of one object's history, newest first, paginated like every list."""

    serializer_class = HistoryEntrySerializer
    filter_backends: list = []

    @extend_schema(
        summary="变更历史",
        description=(
            "一条记录的变更历史，与其“变更历史”页面相同（含季度报送审核通过后带来的修改），新的在前。"
            "记录须在您的权限范围内，否则 404。"
        ),
        parameters=[
            _path_parameter("app_label", "模块，如 enterprises、cultivation", "enterprises"),
            _path_parameter("model_name", "记录类型，如 enterprise、certificate", "enterprise"),
            _path_parameter("id", "记录编号", "1"),
        ],
        responses={200: HistoryEntrySerializer(many=True)},
    )
    def get(self, request: Request, app_label: str, model_name: str, pk: str) -> Response:
        instance = selectors.history_object(request.user, app_label, model_name, pk)
        entries: Any = selectors.history_for(instance)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


paths.append(
    path(
        "history/<str:app_label>/<str:model_name>/<str:pk>/",
        HistoryView.as_view(),
        name="api-history",
    )
)
