"""/api/v1/notifications/: one's own inbox — the notices the inbox page lists, filtered by
unread, and marking them read (one, or all) as opening the page does. Nobody ever sees or
touches another user's notice: theirs is a 404."""

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core import notifications
from core.models import Notification, User

from .base import ModelSerializer, Serializer, actor_of
from .registry import router


class NotificationSerializer(ModelSerializer):
    """站内通知（收件箱中的一条）。"""

    is_read = serializers.SerializerMethodField(help_text="是否已读")

    class Meta:
        model = Notification
        ref_name = "Notification"
        fields = ["id", "title", "body", "link", "created_at", "read_at", "is_read"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "通知编号"},
            "title": {"help_text": "标题"},
            "body": {"help_text": "内容"},
            "link": {"help_text": "相关页面（门户内路径，如 /reports/；可为空）"},
            "created_at": {"help_text": "发送时间"},
            "read_at": {"help_text": "阅读时间；未读为 null"},
        }

    @extend_schema_field(serializers.BooleanField())
    def get_is_read(self, notice: Notification) -> bool:
        return notice.read_at is not None


class ReadAllSerializer(Serializer):
    """全部标为已读的结果。"""

    marked = serializers.IntegerField(help_text="本次标为已读的条数（此前未读的条数）")

    class Meta:
        ref_name = "NotificationsReadAll"


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="true：只列未读；false：只列已读"
    )

    class Meta:
        model = Notification
        fields = ["unread"]


@extend_schema_view(
    list=extend_schema(
        summary="我的通知", description="本人的通知，新的在前；unread=true 只列未读。"
    ),
    retrieve=extend_schema(summary="一条通知", description="本人的通知；他人的通知为 404。"),
)
class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Notification.objects.none()  # the real one is the user's own: get_queryset
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    @property
    def owner(self) -> User:
        """Whose inbox this is: the signed-in user's (IsAuthenticated), and nobody else's."""
        return actor_of(self.request)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Notification.objects.filter(recipient=self.owner)

    def filter_queryset(self, queryset: Any) -> Any:
        # `unread` chooses what the list shows; a notice is addressed by its id, read or not.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @extend_schema(
        summary="标为已读",
        description="与打开收件箱页面相同；已读的通知保持原阅读时间。",
        request=None,
        responses={200: NotificationSerializer},
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notice = self.get_object()
        notifications.mark_read(actor=self.owner, ids=[notice.pk])
        notice.refresh_from_db()
        return Response(self.get_serializer(notice).data)

    @extend_schema(
        summary="全部标为已读",
        description="把本人所有未读通知标为已读。",
        request=None,
        responses={200: ReadAllSerializer},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": notifications.mark_read(actor=self.owner)})


router.register("notifications", NotificationViewSet, basename="notification")
