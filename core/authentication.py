"""Who may call the API, and how often: personal tokens on the wire (`Authorization: Bearer
htp_…`, or `Token htp_…`) and the throttles. Kept out of core/api/ because DRF imports these
while it is itself being imported."""

import datetime
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, throttling

from core.dates import now
from core.models import ApiToken
from core.services import token_digest

KEYWORDS = ("bearer", "token")
# Writing last_used_at on every call would turn each read into a write; once a minute is
# enough to tell an operator which tokens are still in use.
TOUCH_EVERY = datetime.timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """A revoked token, an unknown one and a disabled user's all get the same 401."""

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in KEYWORDS:
            return None  # not ours: the session may still sign the request in
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization 头格式应为：Bearer <令牌>。")
        token = (
            ApiToken.objects.select_related("user__unit")
            .filter(digest=token_digest(header[1]), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("令牌无效或已撤销。")
        self._touch(token)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        # Having one makes DRF answer 401 (not 403) to a request that is not signed in.
        return 'Bearer realm="api"'

    @staticmethod
    def _touch(token: ApiToken) -> None:
        moment = now()
        if token.last_used_at is None or moment - token.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=moment)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "个人 API 令牌：在“我的 API 令牌”页面创建，"
            "或 `python manage.py api_token 用户名`。",
        }


class PortalScopedThrottle(throttling.ScopedRateThrottle):
    """Rates per user for the kinds named in settings (token creation, uploads). With the
    cache down, requests pass: a throttle must not take the API down with it."""

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache (Redis) is unreachable
            return True
