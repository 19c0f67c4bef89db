"""/api/v1/me/ (who the token speaks for) and /api/v1/tokens/ (the user's own tokens)."""

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core import services
from core.models import ApiToken

from .base import Conflict, ModelSerializer, actor_of, error_response

SELF_REVOKE = "不能用一个令牌撤销它自己：请在“API 令牌”页面上撤销，或用另一个令牌。"


class TokenSerializer(ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at", "is_active"]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]


class NewTokenSerializer(TokenSerializer):
    key = serializers.CharField(read_only=True, help_text="令牌密钥：只在创建时返回这一次")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "key"]


class TokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your own API tokens: list them, make one (its key is shown once), revoke one (DELETE;
    the token stays listed as revoked)."""

    queryset = ApiToken.objects.none()  # the real one is the user's own: get_queryset
    serializer_class = TokenSerializer
    throttle_scope = "token-create"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return ApiToken.objects.filter(user=actor_of(self.request))

    def get_throttles(self) -> list:
        return super().get_throttles() if self.action == "create" else []

    @extend_schema(request=TokenSerializer, responses={201: NewTokenSerializer})
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = actor_of(request)
        token, key = services.create_api_token(
            actor=user, user=user, name=serializer.validated_data["name"]
        )
        token.key = key  # type: ignore[attr-defined]  # shown this once, never stored
        return Response(NewTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 409: error_response(SELF_REVOKE)})
    def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: ApiToken) -> None:
        # A script revoking the very token it runs on would lock itself out mid-run (and the
        # next call would be a puzzling 401): that one is revoked on the page, or with another.
        if self.request.auth == instance:
            raise Conflict(SELF_REVOKE)
        services.revoke_api_token(actor=actor_of(self.request), token=instance)


class MeView(APIView):
    """The account a request speaks for: its unit, role, and whether it may write."""

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "display_name": serializers.CharField(),
                "role": serializers.CharField(),
                "role_label": serializers.CharField(),
                "unit": serializers.IntegerField(allow_null=True),
                "unit_name": serializers.CharField(allow_null=True),
                "can_write": serializers.BooleanField(),
            },
        )
    )
    def get(self, request: Any) -> Response:
        from core.scoping import can_write

        user = request.user
        return Response(
            {
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
                "role_label": user.get_role_display(),
                "unit": user.unit_id,
                "unit_name": user.unit.name if user.unit_id else None,
                "can_write": can_write(user),
            }
        )
