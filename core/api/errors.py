"""Django's own 404 and 500 answers, in the API's error shape for addresses under /api/.

A path no route matches (/api/v1/enterprises/abc/) or a crash never reaches DRF's exception
handler; without these an integrator's JSON client would get the portal's HTML page."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

NOT_FOUND = "未找到该记录，或不在您的权限范围内。"
SERVER_ERROR = "服务器内部错误，已记录；请稍后重试，或联系区科技局系统管理员。"


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"message": message, "errors": {}}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return _error(NOT_FOUND, 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return _error(SERVER_ERROR, 500)
    return defaults.server_error(request)
