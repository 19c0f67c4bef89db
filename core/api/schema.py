"""The schema says what every operation really answers (manage.py spectacular --validate)."""

from collections.abc import Iterable
from typing import Any

from drf_spectacular.openapi import AutoSchema

from .base import ETAG, IF_MATCH, ErrorSerializer, ScopedViewSet, ScopedWriteViewSet

ERROR_TEXT = {
    "400": "提交的数据或查询参数有误（errors 按字段说明）",
    "401": "未登录：缺少令牌或令牌无效",
    "403": "已登录，但无权执行该操作",
    "404": "不存在，或不在您的权限范围内",
    "412": "If-Match 与记录当前版本不符：记录已被修改，本次未做任何修改",
    "429": "请求过于频繁",
    "414": "请求地址过长（超过服务器约 4 KB 的上限）：请减少查询参数",
}


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus what every operation here can really answer: the error
    statuses with the Error body, If-Match on writes and ETag on single objects."""

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if isinstance(self.view, ScopedWriteViewSet) and self.method in ("PUT", "PATCH", "DELETE"):
            parameters.append(IF_MATCH)
        if self._carries_etag():
            parameters.append(ETAG)
        return parameters

    def _carries_etag(self) -> bool:
        if not isinstance(self.view, ScopedViewSet):
            return False
        action = getattr(self.view, "action", None)
        return action in ("retrieve", "create", "update", "partial_update")

    def _get_response_bodies(self, direction: Any = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        for code in self.error_statuses():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code)
                responses[code]["description"] = ERROR_TEXT[code]
        # The web server's own answer (gunicorn, nginx) to an address over its ~4 KB limit:
        # it never reaches the portal, so it has no Error body.
        responses.setdefault("414", {"description": ERROR_TEXT["414"]})
        return responses

    def error_statuses(self) -> Iterable[str]:
        codes = ["400", "401", "404"]  # 400/404 for every query (bad filter, page)
        if self.method not in ("GET", "HEAD"):
            # Writes can be refused (a leader; a town on a district action). A read never is:
            # what a user may not see is a 404. A read that can be refused declares its 403.
            codes.append("403")
        if self.method in ("PUT", "PATCH", "DELETE") and isinstance(self.view, ScopedWriteViewSet):
            codes.append("412")
        if getattr(self.view, "throttle_scope", None):
            codes.append("429")
        return codes
